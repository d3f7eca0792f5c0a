"""What a LINE webhook event is to hokoku: who acts, where, and which intent.

Each event of a webhook body (https://developers.line.biz/en/reference/messaging-api/
#webhook-event-objects) is read with line-bot-sdk's models, and becomes one `Delivery`: the
chat, an interaction-layer intent, the ids to claim and to answer with. Nothing here
decides or says anything.

- Events in `mode: "standby"` (another channel, e.g. a chat module, has the chat) are
  not for the bot: ignored.
- A text message is read as plain text: LINE emoji (`(love)` with its span in `emojis`)
  and the bot's own mention (a mentionee with `isSelf`, or whose userId is the webhook's
  `destination`) are removed. In a group, a message that mentions the bot addresses it
  (`@hokoku 状況`, `@hokoku link CODE`); other group text is chatter unless it is an
  answer line.
- `messageEdited` reads the message again, `unsend` withdraws its answers (both by the
  message id), `follow` with `isUnblocked` greets a person back.
- An event type the SDK does not know (or a body it cannot read), of a kind hokoku
  handles (messageEdited, unsend), is read from the JSON itself; any other is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MessageEditedEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    Source,
    TextMessageContent,
    UnfollowEvent,
    UnsendEvent,
    UserMentionee,
    UserSource,
)

from bot.line.postback import decode
from handlers.interaction import Actor, Surface
from handlers.interaction.intents import (
    USER,
    Edited,
    Intent,
    Joined,
    Left,
    NotText,
    StaleButton,
    Text,
    Unsent,
)
from handlers.normalize import clean_text

logger = logging.getLogger(__name__)
PLATFORM = "line"
STANDBY = "standby"


@dataclass(frozen=True)
class Chat:
    """Where an event happened: a 1:1 chat (kind user) or a group/room, and who acted."""

    kind: str
    chat_id: str
    user_id: str | None

    @property
    def person(self) -> str:
        """Whose conversation state this is and who is recorded as the reporter."""
        return self.user_id or f"{self.kind}:{self.chat_id}"


@dataclass(frozen=True)
class Delivery:
    """One event as hokoku reads it. `quote_token`: the message a reply quotes (an edit's
    reply is shown against the edited message)."""

    chat: Chat
    intent: Intent
    event_id: str
    reply_token: str | None = None
    quote_token: str | None = None


@dataclass(frozen=True)
class Span:
    """A stretch of a message's text (UTF-16 units, as LINE counts): an emoji or a mention."""

    index: int
    length: int


def chat_of(source: Source | None) -> Chat | None:
    if isinstance(source, UserSource) and source.user_id:
        return Chat(USER, source.user_id, source.user_id)
    if isinstance(source, GroupSource):
        return Chat("group", source.group_id, source.user_id)
    if isinstance(source, RoomSource):
        return Chat("room", source.room_id, source.user_id)
    return None


def actor(
    chat: Chat, *, organization_id: int, language: str, surface: Surface | None = None
) -> Actor:
    return Actor(
        organization_id=organization_id,
        platform=PLATFORM,
        person=chat.person,
        chat_id=chat.chat_id,
        chat_kind=chat.kind,
        language=language,
        surface=surface or Surface(),
    )


def message_key(message_id: str) -> str:
    """The key a message's answers are stored with; its edit and unsend name the same id."""
    return f"{PLATFORM}:{message_id}"


# --- text ---------------------------------------------------------------------------------


def _python_index(text: str, units: int) -> int:
    """The index in `text` of the character at `units` UTF-16 code units."""
    count = 0
    for position, char in enumerate(text):
        if count >= units:
            return position
        count += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def without_spans(text: str, spans: Sequence[Span]) -> str:
    """`text` with these stretches removed (from the end, so indexes stay right); a space
    left on both sides of a removed stretch becomes one."""
    for span in sorted(spans, key=lambda s: s.index, reverse=True):
        if span.index < 0 or span.length <= 0:
            continue
        start = _python_index(text, span.index)
        end = _python_index(text, span.index + span.length)
        if start >= len(text):
            continue
        before, after = text[:start], text[end:]
        if before[-1:].isspace() and after[:1].isspace():
            after = after[1:]
        text = before + after
    return text.strip()


@dataclass(frozen=True)
class ReadText:
    text: str
    addressed: bool  # the bot was mentioned


def read_text(text: str, *, emojis: Sequence[Span], bot_mentions: Sequence[Span]) -> ReadText:
    """The text as typed: without LINE emoji and without the bot's own mention."""
    return ReadText(without_spans(text, [*emojis, *bot_mentions]), bool(bot_mentions))


def _sdk_text(content: TextMessageContent, bot_id: str | None) -> ReadText:
    emojis = [Span(e.index, e.length) for e in content.emojis or ()]
    mentions = content.mention.mentionees if content.mention else []
    bot = [
        Span(m.index, m.length)
        for m in mentions
        if isinstance(m, UserMentionee) and (m.is_self or (bot_id and m.user_id == bot_id))
    ]
    return read_text(content.text, emojis=emojis, bot_mentions=bot)


def _text_intent(read: ReadText, chat: Chat, message_id: str) -> Text:
    return Text(
        read.text,
        addressed=chat.kind == USER or read.addressed,
        message=message_key(message_id),
    )


# --- the SDK's events ---------------------------------------------------------------------


def _message(event: Event, chat: Chat, bot_id: str | None) -> Intent:
    assert isinstance(event, MessageEvent)
    if not isinstance(event.message, TextMessageContent):
        return NotText()
    # In a group only answer lines, commands and mentions of the bot are for the bot.
    return _text_intent(_sdk_text(event.message, bot_id), chat, event.message.id)


def _edited(event: Event, chat: Chat, bot_id: str | None) -> Intent | None:
    assert isinstance(event, MessageEditedEvent)
    if not isinstance(event.message, TextMessageContent):
        return None
    read = _sdk_text(event.message, bot_id)
    return Edited(
        read.text,
        message=message_key(event.message.id),
        addressed=chat.kind == USER or read.addressed,
    )


def _postback(event: Event, chat: Chat, bot_id: str | None) -> Intent:
    assert isinstance(event, PostbackEvent)
    return decode(event.postback.data) or StaleButton()


def _follow(event: Event, chat: Chat, bot_id: str | None) -> Intent:
    assert isinstance(event, FollowEvent)
    return Joined(group=False, unblocked=bool(event.follow and event.follow.is_unblocked))


def _unsend(event: Event, chat: Chat, bot_id: str | None) -> Intent:
    assert isinstance(event, UnsendEvent)
    return Unsent(message_key(event.unsend.message_id))


Translate = Callable[[Event, Chat, str | None], Intent | None]
INTENTS: dict[type[Event], Translate] = {
    MessageEvent: _message,
    MessageEditedEvent: _edited,
    PostbackEvent: _postback,
    FollowEvent: _follow,
    JoinEvent: lambda _event, _chat, _bot: Joined(group=True),
    UnfollowEvent: lambda _event, _chat, _bot: Left(),
    LeaveEvent: lambda _event, _chat, _bot: Left(),
    UnsendEvent: _unsend,
}


def _sdk_event(raw: Mapping[str, Any]) -> Event | None:
    """The SDK's model of one event (None: a type it does not know, or a body it refuses)."""
    try:
        return Event.from_dict(dict(raw))
    except (ValueError, TypeError, KeyError, AttributeError):  # pydantic errors are ValueErrors
        return None


def read_event(raw: Mapping[str, Any], *, bot_id: str | None) -> Delivery | None:
    """One event of a webhook body as hokoku reads it; None: not for the bot."""
    if raw.get("mode") == STANDBY:
        return None
    event = _sdk_event(raw)
    if event is None:
        return _from_json(raw, bot_id=bot_id)
    translate = INTENTS.get(type(event))
    chat = chat_of(event.source)
    if translate is None or chat is None or not event.webhook_event_id:
        return None
    intent = translate(event, chat, bot_id)
    if intent is None:
        return None
    message = getattr(event, "message", None)
    quote = getattr(message, "quote_token", None) if isinstance(event, MessageEditedEvent) else None
    return Delivery(
        chat, intent, event.webhook_event_id, getattr(event, "reply_token", None), quote
    )


# --- from the JSON (what the SDK cannot read) -------------------------------------------------


def _string(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, Mapping) else None
    return clean_text(value) if isinstance(value, str) and value else None


def _json_chat(source: Any) -> Chat | None:
    kind = _string(source, "type")
    user = _string(source, "userId")
    if kind == USER and user:
        return Chat(USER, user, user)
    for kind_, key in (("group", "groupId"), ("room", "roomId")):
        chat_id = _string(source, key)
        if kind == kind_ and chat_id:
            return Chat(kind_, chat_id, user)
    return None


def _json_spans(items: Any, keep: Callable[[Mapping[str, Any]], bool]) -> list[Span]:
    spans = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping) or not keep(item):
            continue
        index, length = item.get("index"), item.get("length")
        if isinstance(index, int) and isinstance(length, int) and not isinstance(index, bool):
            spans.append(Span(index, length))
    return spans


def _json_text(message: Mapping[str, Any], bot_id: str | None) -> ReadText | None:
    text = message.get("text")
    if not isinstance(text, str):
        return None
    mention = message.get("mention")
    mentionees = mention.get("mentionees") if isinstance(mention, Mapping) else None
    bot = _json_spans(
        mentionees,
        lambda m: m.get("isSelf") is True or (bool(bot_id) and m.get("userId") == bot_id),
    )
    emojis = _json_spans(message.get("emojis"), lambda _e: True)
    return read_text(clean_text(text), emojis=emojis, bot_mentions=bot)


def _from_json(raw: Mapping[str, Any], *, bot_id: str | None) -> Delivery | None:
    kind = raw.get("type")
    chat = _json_chat(raw.get("source"))
    event_id = _string(raw, "webhookEventId")
    if chat is None or event_id is None:
        return None
    reply_token = _string(raw, "replyToken")
    if kind == "messageEdited":
        message = raw.get("message")
        message_id = _string(message, "id")
        if not isinstance(message, Mapping) or message.get("type") != "text" or not message_id:
            return None
        read = _json_text(message, bot_id)
        if read is None:
            return None
        intent: Intent = Edited(
            read.text,
            message=message_key(message_id),
            addressed=chat.kind == USER or read.addressed,
        )
        return Delivery(chat, intent, event_id, reply_token, _string(message, "quoteToken"))
    if kind == "unsend":
        message_id = _string(raw.get("unsend"), "messageId")
        if message_id is None:
            return None
        return Delivery(chat, Unsent(message_key(message_id)), event_id)
    logger.info("LINE event of type %r skipped", kind if isinstance(kind, str) else None)
    return None
