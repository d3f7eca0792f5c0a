"""`POST /slack/events`: events, slash commands and interactivity at one URL (bolt's way).

Before bolt sees a request it must be small enough, UTF-8, carry well-formed signature
headers with a valid signature (slack_sdk's SignatureVerifier, the same check bolt makes)
and a JSON payload of bounded depth: anything else is a 4xx here, never a traceback.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import anyio
import anyio.to_thread
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http_body import BadBody, parse_json_object, read_limited, utf8
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack import envelope
from bot.slack.app import build_slack_app

EVENTS_PATH = "/slack/events"
_MAX_TIMESTAMP_DIGITS = 12


def check_request(body: bytes, headers: Headers, verifier: SignatureVerifier) -> None:
    """Raise BadBody unless this is a signed, well-formed Slack request."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (
        timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS
    ):
        raise BadBody(401, "missing or malformed X-Slack-Request-Timestamp")
    if not signature.isascii() or not signature:
        raise BadBody(401, "missing or malformed X-Slack-Signature")
    text = utf8(body)
    if not verifier.is_valid(body=text, timestamp=timestamp, signature=signature):
        raise BadBody(401, "invalid signature")
    # The same choice of parser bolt makes (slack_bolt.request.internals.parse_body).
    if headers.get("content-type") == "application/json" or text.startswith("{"):
        _check_shape(parse_json_object(text))
        return
    form = parse_qs(text, keep_blank_values=True)
    if any(len(values) != 1 for values in form.values()):
        raise BadBody(400, "repeated form field")
    if "payload" in text:
        payload = form.get("payload")
        if payload is not None:
            _check_shape(parse_json_object(payload[0]))


def _check_shape(payload: dict[str, object]) -> None:
    try:
        envelope.check_payload(payload)
    except envelope.WrongShape as exc:
        raise BadBody(400, f"malformed payload ({exc})") from None


class FormRequest(BoltRequest):
    """A bolt request whose form body is read as a form whatever its values say.

    bolt decides "this is an interaction" when the word `payload` occurs anywhere in a form
    body, then finds no `payload` field and dispatches an empty body: a slash command from
    a channel named `payload-kanri` (its `channel_name` field) got 404. The body is parsed
    again here the way Slack sends it: an interaction has a `payload` field, a slash command
    has none. Lazy listeners get a copy of the request made the same way.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.mode == "http" and not self.body and "payload" in self.raw_body:
            form = dict(parse_qsl(self.raw_body, keep_blank_values=True))
            if "payload" not in form and not self.raw_body.startswith("{"):
                self.body = form
                self.context = build_context(self.context, self.body)

    def to_copyable(self) -> FormRequest:
        return FormRequest(
            body=self.raw_body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )


def bolt_request(request: Request, body: bytes) -> BoltRequest:
    """The Starlette request as bolt's (its own adapter's fields), read as Slack sent it."""
    return FormRequest(
        body=body.decode("utf-8"),
        query=dict(request.query_params),
        headers=dict(request.headers),
    )


def slack_http_routes(
    settings: Settings, runtime: Runtime, *, listener_executor: Executor | None = None
) -> list[BaseRoute]:
    bolt: App = build_slack_app(settings, runtime, listener_executor=listener_executor)
    assert settings.slack_signing_secret is not None  # build_slack_app checked it
    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
    # As many dispatches at once as the pool has connections: the rest wait their turn here,
    # in order and without a thread, rather than in threads that contend for the pool (and
    # time out on it with a 503) and for the interpreter while the ones holding a
    # connection finish.
    dispatching = anyio.CapacityLimiter(settings.db_pool_size)

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_limited(request, settings.max_body_bytes)
            check_request(body, request.headers, verifier)
        except BadBody as bad:
            return PlainTextResponse(bad.reason, status_code=bad.status)
        # bolt's dispatch is synchronous (listeners run before the answer): keep it off the loop.
        response = await anyio.to_thread.run_sync(
            bolt.dispatch, bolt_request(request, body), limiter=dispatching
        )
        return to_starlette_response(response)

    return [Route(EVENTS_PATH, slack_events, methods=["POST"])]
