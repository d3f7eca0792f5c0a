"""`POST /line/callback`: signature check, once-only processing, replies after the response.

Each event becomes an interaction-layer intent (bot.line.events) and goes through the
chats' one intake (bot.intake.run): its own transaction, which also claims its
webhookEventId, so a redelivered event is recognised and skipped. The 200 goes out only
after every event of the body is committed, and the replies are sent by a background task
after it. When the database is unavailable or busy the answer is 503, so LINE redelivers
(events already committed are then skipped). An oversized, non-UTF-8, unsigned or
malformed body is a 4xx.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot import intake
from bot.http_body import BadBody, read_limited, utf8
from bot.line.client import LineClient
from bot.line.flex import messages
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.i18n import translator
from handlers.interaction import Surface

if TYPE_CHECKING:
    from linebot.v3 import WebhookParser
    from linebot.v3.webhooks import Event

logger = logging.getLogger(__name__)
CALLBACK_PATH = "/line/callback"
SIGNATURE_HEADER = "X-Line-Signature"


@dataclass(frozen=True)
class PendingReply:
    """Messages to send with an event's reply token once the webhook has answered 200."""

    reply_token: str
    messages: list[dict[str, Any]]


class LineWebhook:
    def __init__(self, settings: Settings, runtime: Runtime, client: LineClient) -> None:
        if settings.line_channel_secret is None:
            raise ValueError("LINE_CHANNEL_SECRET is not set")
        self._secret = settings.line_channel_secret.get_secret_value()
        self._max_body = settings.max_body_bytes
        self._runtime = runtime
        self._client = client
        self._language = settings.language
        # Charts are images LINE fetches from HOKOKU_PUBLIC_URL (bot.charts serves them).
        self._surface = Surface(
            images=True, public_url=settings.public_url, image_minutes=settings.chart_minutes
        )

    @cached_property
    def _parser(self) -> WebhookParser:
        """The SDK's event models (tens of MiB) load with the first signed webhook, not at
        start: an idle server does not hold them."""
        from linebot.v3 import WebhookParser

        return WebhookParser(self._secret)

    def signed(self, body: str, signature: str) -> bool:
        """LINE's X-Line-Signature: base64 HMAC-SHA256 of the body with the channel secret."""
        digest = hmac.new(self._secret.encode(), body.encode(), hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest), signature.encode())

    def parse(self, body: str, signature: str) -> list[Event]:
        from linebot.v3.exceptions import InvalidSignatureError

        try:
            return list(self._parser.parse(body, signature))
        except InvalidSignatureError as exc:  # checked before; kept as the SDK's own check
            raise ValueError("invalid signature") from exc

    async def callback(self, request: Request) -> PlainTextResponse:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return PlainTextResponse("missing signature", status_code=400)
        try:
            body = utf8(await read_limited(request, self._max_body))
        except BadBody as bad:
            return PlainTextResponse(bad.reason, status_code=bad.status)
        if not self.signed(body, signature):
            logger.warning("LINE webhook with an invalid signature rejected")
            return PlainTextResponse("invalid signature", status_code=400)
        try:
            events = await run_in_threadpool(self.parse, body, signature)
        except (ValueError, KeyError, TypeError, RecursionError):  # pydantic errors are ValueErrors
            return PlainTextResponse("malformed body", status_code=400)
        try:
            replies = await run_in_threadpool(self.process, events)
        except intake.UNAVAILABLE as exc:
            logger.warning("database not available, asked LINE to redeliver: %s", exc)
            return PlainTextResponse("retry later", status_code=503, headers=intake.RETRY_AFTER)
        return PlainTextResponse("OK", background=BackgroundTask(self.send_replies, replies))

    def process(self, events: list[Event]) -> list[PendingReply]:
        """Handle every event of one body, each once; returns the replies to send."""
        replies = []
        for event in events:
            reply = self.process_one(event)
            if reply is not None:
                replies.append(reply)
        return replies

    def process_one(self, event: Event) -> PendingReply | None:
        from bot.line.events import INTENTS, actor, chat_of

        translate = INTENTS.get(type(event))
        chat = chat_of(getattr(event, "source", None))
        event_key = getattr(event, "webhook_event_id", None)
        if translate is None or chat is None or not event_key:
            return None
        who = actor(
            chat,
            organization_id=self._runtime.organization_id,
            language=self._language,
            surface=self._surface,
        )
        reply = intake.run(self._runtime, who, translate(event, chat), delivery=event_key)
        token = getattr(event, "reply_token", None)
        if reply is None or not reply.parts or not token:
            return None  # a redelivery, chatter in a group, or nothing to reply to
        return PendingReply(token, messages(translator(reply.language), reply))

    def send_replies(self, replies: list[PendingReply]) -> None:
        for reply in replies:
            self._client.reply(reply.reply_token, reply.messages)


def line_routes(settings: Settings, runtime: Runtime) -> list[Route]:
    """The route(s) to mount in the ASGI app when LINE is configured."""
    webhook = LineWebhook(settings, runtime, LineClient.from_settings(settings))
    return [Route(CALLBACK_PATH, webhook.callback, methods=["POST"])]


def line_configured(settings: Settings) -> bool:
    return (
        settings.line_channel_secret is not None and settings.line_channel_access_token is not None
    )
