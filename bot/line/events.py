"""What a LINE webhook event is to hokoku: who acts, where, and which intent.

A dispatch table by event type turns each event into an interaction-layer intent; the
webhook runs it. Nothing here decides or says anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    Source,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from bot.line.postback import decode
from handlers.interaction import Actor, Surface
from handlers.interaction.intents import (
    USER,
    Intent,
    Joined,
    Left,
    NotText,
    StaleButton,
    Text,
)

PLATFORM = "line"


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


def _message(event: Event, chat: Chat) -> Intent:
    assert isinstance(event, MessageEvent)
    if not isinstance(event.message, TextMessageContent):
        return NotText()
    # In a group only answer lines and commands are for the bot: the layer tells them apart.
    return Text(event.message.text, addressed=chat.kind == USER)


def _postback(event: Event, chat: Chat) -> Intent:
    assert isinstance(event, PostbackEvent)
    return decode(event.postback.data) or StaleButton()


INTENTS: dict[type[Event], Callable[[Event, Chat], Intent]] = {
    MessageEvent: _message,
    PostbackEvent: _postback,
    FollowEvent: lambda _event, _chat: Joined(group=False),
    JoinEvent: lambda _event, _chat: Joined(group=True),
    UnfollowEvent: lambda _event, _chat: Left(),
    LeaveEvent: lambda _event, _chat: Left(),
}
