"""`POST /line/callback`: signature check, once-only processing, replies after the response.

LINE expects a prompt 200. Each event is handled in its own transaction that also records
its webhookEventId (ProcessedEvent), so a redelivered event is recognised and skipped; the
replies are sent by a background task after the 200 has gone out. A database failure
propagates as 500 so that LINE redelivers; events already committed are then skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import Event
from sqlalchemy.exc import IntegrityError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.line.client import LineClient
from bot.line.events import EVENT_HANDLERS, PLATFORM, EventContext, chat_of
from bot.line.flex import text
from bot.line.limits import MESSAGES_PER_CALL
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.dedupe import claim_event
from handlers.errors import HokokuError
from models import utcnow
from models.db import transaction

log = logging.getLogger(__name__)
CALLBACK_PATH = "/line/callback"
SIGNATURE_HEADER = "X-Line-Signature"


@dataclass(frozen=True)
class Reply:
    reply_token: str
    messages: list[dict[str, Any]]


class LineWebhook:
    def __init__(self, settings: Settings, runtime: Runtime, client: LineClient) -> None:
        if settings.line_channel_secret is None:
            raise ValueError("LINE_CHANNEL_SECRET is not set")
        self._parser = WebhookParser(settings.line_channel_secret.get_secret_value())
        self._runtime = runtime
        self._client = client
        self._zone = ZoneInfo(settings.timezone)

    async def callback(self, request: Request) -> PlainTextResponse:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return PlainTextResponse("missing signature", status_code=400)
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            events = self._parser.parse(body, signature)
        except InvalidSignatureError:
            log.warning("LINE webhook with an invalid signature rejected")
            return PlainTextResponse("invalid signature", status_code=400)
        except (ValueError, KeyError, TypeError):  # json.JSONDecodeError is a ValueError
            return PlainTextResponse("malformed body", status_code=400)
        replies = await run_in_threadpool(self.process, events)
        return PlainTextResponse("OK", background=BackgroundTask(self.send_replies, replies))

    def process(self, events: list[Event]) -> list[Reply]:
        """Handle every event of one body, each once; returns the replies to send."""
        replies = []
        for event in events:
            reply = self.process_one(event)
            if reply is not None:
                replies.append(reply)
        return replies

    def process_one(self, event: Event) -> Reply | None:
        handler = EVENT_HANDLERS.get(type(event))
        chat = chat_of(getattr(event, "source", None))
        event_key = getattr(event, "webhook_event_id", None)
        if handler is None or chat is None or not event_key:
            return None
        now = utcnow()
        ctx = EventContext(
            organization_id=self._runtime.organization_id,
            event_key=event_key,
            chat=chat,
            now=now,
            today=now.astimezone(self._zone).date(),
        )
        try:
            try:
                with transaction(self._runtime.factory) as session:
                    if not claim_event(session, platform=PLATFORM, event_key=event_key):
                        return None
                    messages = handler(session, ctx, event)
            except HokokuError as exc:
                # Nothing of the event was kept; remember it was answered, and say why.
                with transaction(self._runtime.factory) as session:
                    if not claim_event(session, platform=PLATFORM, event_key=event_key):
                        return None
                messages = [text(exc.message)]
        except IntegrityError:
            log.info("LINE event %s processed concurrently elsewhere; skipped", event_key)
            return None
        token = getattr(event, "reply_token", None)
        if not messages or not token:
            return None
        return Reply(token, messages[:MESSAGES_PER_CALL])

    def send_replies(self, replies: list[Reply]) -> None:
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
