"""`POST /line/callback`: signature check, once-only processing, replies after the response.

Each event becomes an interaction-layer intent (bot.line.events) and goes through the
chats' one intake (bot.intake.run): its own transaction, which also claims its
webhookEventId, so a redelivered event is recognised and skipped. The 200 goes out only
after every event of the body is committed, and the replies are sent by a background task
after it. When the database is unavailable or busy the answer is 503, so LINE redelivers
(events already committed are then skipped). An oversized, non-UTF-8, unsigned or
malformed body is a 4xx.

LINE counts a webhook not answered within 2 seconds as failed, so nothing slow happens
before the 200: a chart (`ChartFile`) is drawn and published after it, in the background,
and sent with the reply token the event reserved for it; when drawing outlasted the token,
the reply goes out as a push instead (with a retry key, so at most once). An unsend has no
reply token at all: what it took back is pushed the same way. Like Slack's
dispatch (bot.slack.http), the webhook's database work waits its turn for the pool
(`CapacityLimiter` of HOKOKU_DB_POOL_SIZE), in order and without a thread, rather than
timing out on the pool with a 503. After the replies, the names of the people who wrote
are looked up once (LINE's profile) for the office's history.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot import intake
from bot.http_body import BadBody, parse_json_object, read_limited, utf8
from bot.line.client import LineClient
from bot.line.flex import messages
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.export.chart_images import publish_chart
from handlers.i18n import msg, translator
from handlers.interaction import Reply, Surface
from handlers.interaction.intents import Unsent
from handlers.interaction.reply import ChartFile, ChartPicture, Say
from handlers.organization.people import needs_lookup, remember_name
from handlers.ports import DeliveryError
from models import utcnow
from models.db import transaction

if TYPE_CHECKING:
    from bot.line.events import Chat, Delivery

logger = logging.getLogger(__name__)
CALLBACK_PATH = "/line/callback"
SIGNATURE_HEADER = "X-Line-Signature"
PLATFORM = "line"
MAX_LOOKUPS = 5  # profiles asked for per body


@dataclass(frozen=True)
class PendingReply:
    """A committed reply to send once the webhook has answered 200: with the event's reply
    token, else (an unsend has none; it expired while a chart was drawn) as a push to `to`
    keyed by `key`.
    `quote_token`: the message the reply quotes (the edited message)."""

    reply_token: str | None
    reply: Reply
    to: str
    key: str
    quote_token: str | None = None


@dataclass(frozen=True)
class Processed:
    """What one body left to do after the 200: replies to send, people to look up."""

    replies: list[PendingReply]
    people: list[Chat]


@dataclass(frozen=True)
class Envelope:
    """A webhook body: the bot's own user id (`destination`) and its events, as JSON."""

    destination: str | None
    events: list[Mapping[str, Any]]


def read_envelope(body: str) -> Envelope:
    """The body's events (each an object with a type), or BadBody(400)."""
    data = parse_json_object(body)
    events = data.get("events")
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise BadBody(400, "events: not a list of objects")
    for event in events:
        if not isinstance(event.get("type"), str):
            raise BadBody(400, "event without a type")
        if "source" in event and not isinstance(event["source"], dict):
            raise BadBody(400, "event source: not an object")
    destination = data.get("destination")
    return Envelope(destination if isinstance(destination, str) else None, events)


class LineWebhook:
    def __init__(self, settings: Settings, runtime: Runtime, client: LineClient) -> None:
        if settings.line_channel_secret is None:
            raise ValueError("LINE_CHANNEL_SECRET is not set")
        self._secret = settings.line_channel_secret.get_secret_value()
        self._max_body = settings.max_body_bytes
        self._runtime = runtime
        self._client = client
        self._language = settings.language
        self._public_url = settings.public_url
        self._chart_lifetime = timedelta(minutes=settings.chart_minutes)
        # Charts are images LINE fetches from HOKOKU_PUBLIC_URL (bot.charts serves them).
        self._surface = Surface(
            images=True, public_url=settings.public_url, image_minutes=settings.chart_minutes
        )
        # As many bodies at once as the pool has connections (see bot.slack.http).
        self._pool = anyio.CapacityLimiter(settings.db_pool_size)

    def signed(self, body: str, signature: str) -> bool:
        """LINE's X-Line-Signature: base64 HMAC-SHA256 of the body with the channel secret."""
        digest = hmac.new(self._secret.encode(), body.encode(), hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest), signature.encode())

    async def callback(self, request: Request) -> PlainTextResponse:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return PlainTextResponse("missing signature", status_code=400)
        try:
            body = utf8(await read_limited(request, self._max_body))
            if not self.signed(body, signature):
                logger.warning("LINE webhook with an invalid signature rejected")
                return PlainTextResponse("invalid signature", status_code=400)
            envelope = read_envelope(body)
        except BadBody as bad:
            return PlainTextResponse(bad.reason, status_code=bad.status)
        try:
            done = await anyio.to_thread.run_sync(self.process, envelope, limiter=self._pool)
        except intake.UNAVAILABLE as exc:
            logger.warning("database not available, asked LINE to redeliver: %s", exc)
            return PlainTextResponse("retry later", status_code=503, headers=intake.RETRY_AFTER)
        return PlainTextResponse("OK", background=BackgroundTask(self.after, done))

    def process(self, envelope: Envelope) -> Processed:
        """Handle every event of one body, each once; returns the replies to send."""
        from bot.line.events import read_event

        replies = []
        people: dict[str, Chat] = {}
        for raw in envelope.events:
            delivery = read_event(raw, bot_id=envelope.destination)
            if delivery is None:
                continue
            reply = self.process_one(delivery)
            if reply is not None:
                replies.append(reply)
            if delivery.chat.user_id:
                people[delivery.chat.user_id] = delivery.chat
        return Processed(replies, list(people.values()))

    def process_one(self, delivery: Delivery) -> PendingReply | None:
        from bot.line.events import actor

        who = actor(
            delivery.chat,
            organization_id=self._runtime.organization_id,
            language=self._language,
            surface=self._surface,
        )
        reply = intake.run(self._runtime, who, delivery.intent, delivery=delivery.event_id)
        if reply is None or not reply.parts:
            return None  # a redelivery, chatter in a group, or nothing to say
        if not delivery.reply_token and not isinstance(delivery.intent, Unsent):
            return None  # nothing to reply to
        # An unsend has no reply token: what it took back is pushed (once, by its key).
        return PendingReply(
            delivery.reply_token,
            reply,
            to=delivery.chat.chat_id,
            key=delivery.event_id,
            quote_token=delivery.quote_token,
        )

    # --- after the 200 ----------------------------------------------------------------

    async def after(self, done: Processed) -> None:
        """Send the replies (drawing their charts first), then learn who wrote."""
        for pending in done.replies:
            await anyio.to_thread.run_sync(self.send, pending, limiter=self._pool)
        if done.people:
            await anyio.to_thread.run_sync(self.learn_names, done.people, limiter=self._pool)

    def learn_names(self, people: Iterable[Chat]) -> None:
        """Cache the display names LINE gives for these people (once; see
        handlers.organization.people), for the office's history."""
        now = utcnow()
        try:
            with transaction(self._runtime.reader) as session:
                wanted = [
                    chat
                    for chat in people
                    if chat.user_id
                    and needs_lookup(session, platform=PLATFORM, external_id=chat.user_id, now=now)
                ]
            for chat in wanted[:MAX_LOOKUPS]:
                assert chat.user_id is not None
                name = self._client.profile_name(
                    chat.user_id,
                    group=chat.chat_id if chat.kind == "group" else None,
                    room=chat.chat_id if chat.kind == "room" else None,
                )
                with transaction(self._runtime.factory) as session:
                    remember_name(
                        session, platform=PLATFORM, external_id=chat.user_id, name=name, now=now
                    )
        except intake.UNAVAILABLE as exc:
            logger.info("names not cached now (database busy): %s", exc)

    def send(self, pending: PendingReply) -> None:
        reply = pending.reply
        chart = reply.find(ChartFile)
        if chart is not None:
            reply = self._drawn(reply, chart)
        body = messages(translator(reply.language), reply)
        if pending.quote_token and body and body[0].get("type") == "text":
            body[0] = {**body[0], "quoteToken": pending.quote_token}
        # Without a token (an unsend), or when it expired while the chart was drawn: a push.
        if pending.reply_token and (self._client.reply(pending.reply_token, body) or chart is None):
            return
        try:  # once, by its key: LINE takes a retried push with the same key once
            self._client.push(pending.to, body, key=f"reply:{pending.key}")
        except DeliveryError as exc:
            logger.warning("LINE reply could not be pushed: %s", exc)

    def _drawn(self, reply: Reply, chart: ChartFile) -> Reply:
        """The reply with its chart drawn and published at an HTTPS URL LINE fetches."""
        try:
            with transaction(self._runtime.factory) as session:
                image = publish_chart(
                    session,
                    round_id=chart.round_id,
                    kind=chart.kind,
                    today=self._runtime.today(),
                    now=utcnow(),
                    lifetime=self._chart_lifetime,
                    language=reply.language,
                )
        except intake.UNAVAILABLE as exc:
            logger.warning("chart not drawn (database busy): %s", exc)
            parts = tuple(p for p in reply.parts if not isinstance(p, ChartFile))
            return replace(reply, parts=(*parts, Say(msg("chart.not_drawn"))))
        url = f"{self._public_url}{image.url_path}"
        parts = tuple(
            ChartPicture(url, p.kind) if isinstance(p, ChartFile) else p for p in reply.parts
        )
        return replace(reply, parts=parts)


def line_routes(settings: Settings, runtime: Runtime) -> list[Route]:
    """The route(s) to mount in the ASGI app when LINE is configured."""
    webhook = LineWebhook(settings, runtime, LineClient.from_settings(settings))
    return [Route(CALLBACK_PATH, webhook.callback, methods=["POST"])]


def line_configured(settings: Settings) -> bool:
    return (
        settings.line_channel_secret is not None and settings.line_channel_access_token is not None
    )
