"""Short-lived per-chat state (a modal's draft answers, which department a person chose).

One row per (platform, chat, user); `kind` says what it holds. Expired rows read as absent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import ConversationState, utcnow

DEFAULT_TTL = timedelta(days=1)


def get_state(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    kind: str,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    row = session.scalar(
        select(ConversationState).where(
            ConversationState.platform == platform,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
    )
    if row is None or row.kind != kind or row.expires_at <= (now or utcnow()):
        return None
    return dict(row.data)


def put_state(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    kind: str,
    data: dict[str, Any],
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> None:
    """Create or replace the state of this chat and user."""
    row = session.scalar(
        select(ConversationState).where(
            ConversationState.platform == platform,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
    )
    expires = (now or utcnow()) + ttl
    if row is None:
        session.add(
            ConversationState(
                platform=platform,
                chat_id=chat_id,
                user_id=user_id,
                kind=kind,
                data=data,
                expires_at=expires,
            )
        )
    else:
        row.kind = kind
        row.data = data
        row.expires_at = expires
    session.flush()


def drop_state(session: Session, *, platform: str, chat_id: str, user_id: str) -> None:
    session.execute(
        delete(ConversationState).where(
            ConversationState.platform == platform,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
    )
