"""What a chat is waiting for from one user (e.g. the comment after a grade button).

Kept in the database with an expiry, not in process memory, so it survives restarts and
works with several server processes. Platform-neutral: the chat adapters decide the kinds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import ConversationState, utcnow

AWAIT_COMMENT = "await_comment"
AWAIT_DEPARTMENT = "await_department"  # which department a multi-department sender answers for
DEFAULT_TTL = timedelta(minutes=30)


def remember(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    kind: str,
    data: dict[str, Any],
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> ConversationState:
    """Set (replace) what this user in this chat is expected to send next."""
    now = now or utcnow()
    state = session.scalar(
        select(ConversationState).where(
            ConversationState.platform == platform,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
    )
    if state is None:
        state = ConversationState(platform=platform, chat_id=chat_id, user_id=user_id)
        session.add(state)
    state.kind = kind
    state.data = dict(data)
    state.expires_at = now + ttl
    session.flush()
    return state


def recall(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    kind: str,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The data of a live (unexpired) state of `kind`, or None."""
    state = session.scalar(
        select(ConversationState).where(
            ConversationState.platform == platform,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
            ConversationState.kind == kind,
        )
    )
    if state is None or state.expires_at <= (now or utcnow()):
        return None
    return dict(state.data)


def forget(session: Session, *, platform: str, chat_id: str, user_id: str) -> None:
    session.execute(
        delete(ConversationState).where(
            ConversationState.platform == platform,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
    )
