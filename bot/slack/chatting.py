"""DM text and @mentions → the shared text protocol (handlers.chat.handle_text), once each.

Each event is claimed in the ProcessedEvent table inside the same transaction as its work,
so a Slack retry (same event_id) neither stores nor replies a second time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.slack.context import caller_memberships
from bot.slack.ids import PLATFORM, STATE_TTL
from handlers.chat import ChatContext, ChatReply, handle_text
from handlers.conversation import recall, remember
from handlers.dedupe import claim_event
from handlers.identities import Membership
from models.db import INTAKE_ATTEMPTS, run_transaction

CHOICE_KIND = "slack_department_choice"
CHOICE_EXPIRED = "選択の有効期限が切れました。回答をもう一度送ってください。"


@dataclass(frozen=True)
class ChatTurn:
    """A committed turn: the reply to post, where, and for whom."""

    reply: ChatReply
    memberships: tuple[Membership, ...]
    channel: str
    user_id: str


def _members(
    session: Session, *, user_id: str, channel: str, chat_kind: str
) -> tuple[Membership, ...]:
    return caller_memberships(session, user_id, channel if chat_kind == "channel" else "")


def _context(
    runtime: Runtime,
    *,
    members: tuple[Membership, ...],
    user_id: str,
    channel: str,
    chat_kind: str,
    event_key: str,
    department_id: int | None,
) -> ChatContext:
    return ChatContext(
        organization_id=runtime.organization_id,
        platform=PLATFORM,
        reporter=user_id,
        chat_id=user_id if chat_kind == "user" else channel,
        chat_kind=chat_kind,
        today=runtime.today(),
        memberships=members,
        department_id=department_id,
        event_key=f"slack:{event_key}",
    )


def handle_message(
    runtime: Runtime, *, user_id: str, channel: str, chat_kind: str, text: str, event_key: str
) -> ChatTurn | None:
    """Answer one message; None when this event was already handled (a retry)."""

    def work(session: Session) -> ChatTurn | None:
        if not claim_event(session, platform=PLATFORM, event_key=f"event:{event_key}"):
            return None
        members = _members(session, user_id=user_id, channel=channel, chat_kind=chat_kind)
        chosen = None
        if len(members) > 1:  # only then can a remembered choice matter
            remembered = recall(
                session, platform=PLATFORM, chat_id=channel, user_id=user_id, kind=CHOICE_KIND
            )
            chosen = remembered.get("department_id") if remembered else None
        ctx = _context(
            runtime,
            members=members,
            user_id=user_id,
            channel=channel,
            chat_kind=chat_kind,
            event_key=event_key,
            department_id=int(chosen) if chosen is not None else None,
        )
        reply = handle_text(session, ctx=ctx, text=text)
        if reply.choose_department:
            remember(
                session,
                ttl=STATE_TTL,
                platform=PLATFORM,
                chat_id=channel,
                user_id=user_id,
                kind=CHOICE_KIND,
                data={"text": text, "event_key": event_key, "chat_kind": chat_kind},
            )
        return ChatTurn(reply, ctx.memberships, channel, user_id)

    return run_transaction(runtime.factory, work, attempts=INTAKE_ATTEMPTS)


def answer_text_as(
    runtime: Runtime, *, user_id: str, channel: str, department_id: int, claim_key: str
) -> ChatReply | None:
    """Re-run the message that waited for a department choice; remember the choice a day."""

    def work(session: Session) -> ChatReply | None:
        if not claim_event(session, platform=PLATFORM, event_key=claim_key):
            return None
        state = recall(
            session, platform=PLATFORM, chat_id=channel, user_id=user_id, kind=CHOICE_KIND
        )
        if not state or "text" not in state:
            return ChatReply(CHOICE_EXPIRED)
        chat_kind = str(state.get("chat_kind", "user"))
        members = _members(session, user_id=user_id, channel=channel, chat_kind=chat_kind)
        remember(
            session,
            ttl=STATE_TTL,
            platform=PLATFORM,
            chat_id=channel,
            user_id=user_id,
            kind=CHOICE_KIND,
            data={"department_id": department_id},
        )
        ctx = _context(
            runtime,
            members=members,
            user_id=user_id,
            channel=channel,
            chat_kind=chat_kind,
            event_key=str(state["event_key"]),
            department_id=department_id,
        )
        return handle_text(session, ctx=ctx, text=str(state["text"]))

    return run_transaction(runtime.factory, work, attempts=INTAKE_ATTEMPTS)
