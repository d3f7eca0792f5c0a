"""`POST /slack/events`: events, slash commands and interactivity at one URL (bolt's way).

Before bolt sees a request it must be small enough, UTF-8, carry well-formed signature
headers with a valid signature (slack_sdk's SignatureVerifier, the same check bolt makes)
and a JSON payload of bounded depth: anything else is a 4xx here, never a traceback.
The body parsed for that check is what bolt gets: a request is verified and parsed once
here, and bolt does not verify it again (`request_verification_enabled=False`).
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
from bot.slack.reply_process import ReplyProcess

EVENTS_PATH = "/slack/events"
_MAX_TIMESTAMP_DIGITS = 12


def check_request(body: bytes, headers: Headers, verifier: SignatureVerifier) -> dict[str, Any]:
    """The request's payload, as bolt reads it; BadBody unless this is a signed,
    well-formed Slack request."""
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
        return _check_shape(parse_json_object(text))
    form = parse_qs(text, keep_blank_values=True)
    if any(len(values) != 1 for values in form.values()):
        raise BadBody(400, "repeated form field")
    payload = form.get("payload")
    if payload is not None:  # an interaction
        return _check_shape(parse_json_object(payload[0]))
    return {name: values[0] for name, values in form.items()}  # a slash command


def _check_shape(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        envelope.check_payload(payload)
    except envelope.WrongShape as exc:
        raise BadBody(400, f"malformed payload ({exc})") from None
    return payload


class FormRequest(BoltRequest):
    """A bolt request whose form body is read as a form whatever its values say.

    bolt decides "this is an interaction" when the word `payload` occurs anywhere in a form
    body, then finds no `payload` field and dispatches an empty body: a slash command from
    a channel named `payload-kanri` (its `channel_name` field) got 404. The body is parsed
    here the way Slack sends it: an interaction has a `payload` field, a slash command has
    none. `parsed`: the payload `check_request` already read (then it is not read again).
    hokoku registers no lazy listener (bot.slack.handoff's `after_ack`), so bolt never
    copies a request.
    """

    def __init__(self, *, parsed: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if parsed is None:
            super().__init__(**kwargs)
            if self.mode == "http" and not self.body and "payload" in self.raw_body:
                form = dict(parse_qsl(self.raw_body, keep_blank_values=True))
                if "payload" not in form and not self.raw_body.startswith("{"):
                    self.body = form
                    self.context = build_context(self.context, self.body)
            return
        raw = kwargs.pop("body")
        super().__init__(body="", **kwargs)
        self.raw_body = raw
        self.body = parsed
        self.context = build_context(self.context, parsed)


def bolt_request(
    request: Request, body: bytes, parsed: dict[str, Any] | None = None
) -> BoltRequest:
    """The Starlette request as bolt's (its own adapter's fields), read as Slack sent it."""
    return FormRequest(
        body=body.decode("utf-8"),
        query=dict(request.query_params),
        headers=dict(request.headers),
        parsed=parsed,
    )


def dispatches_at_once(settings: Settings, runtime: Runtime) -> int:
    """How many Slack requests are dispatched at once: one on SQLite, else the pool's size."""
    return 1 if runtime.engine.dialect.name == "sqlite" else settings.db_pool_size


def slack_http_routes(
    settings: Settings,
    runtime: Runtime,
    *,
    listener_executor: Executor | None = None,
    reply_process: ReplyProcess | None = None,
) -> list[BaseRoute]:
    bolt: App = build_slack_app(
        settings,
        runtime,
        listener_executor=listener_executor,
        verified_before=True,
        reply_process=reply_process,
    )
    assert settings.slack_signing_secret is not None  # build_slack_app checked it
    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
    # As many dispatches at once as the pool has connections: the rest wait their turn here,
    # in order and without a thread, rather than in threads that contend for the pool (and
    # time out on it with a 503) and for the interpreter while the ones holding a
    # connection finish. SQLite takes one writer at a time, so there one dispatch runs at a
    # time: more threads would only queue for its write lock while they fight for the
    # interpreter (a form page's p99 at 10 in flight: 87 ms with ten, 52 ms with one).
    dispatching = anyio.CapacityLimiter(dispatches_at_once(settings, runtime))

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_limited(request, settings.max_body_bytes)
            parsed = check_request(body, request.headers, verifier)
        except BadBody as bad:
            return PlainTextResponse(bad.reason, status_code=bad.status)
        # bolt's dispatch is synchronous (listeners run before the answer): keep it off the loop.
        response = await anyio.to_thread.run_sync(
            bolt.dispatch, bolt_request(request, body, parsed), limiter=dispatching
        )
        return to_starlette_response(response)

    return [Route(EVENTS_PATH, slack_events, methods=["POST"])]
