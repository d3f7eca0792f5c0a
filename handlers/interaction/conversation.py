"""What the bot remembers of one person in one chat, by kind, with an expiry.

Kept in the database, not in process memory, so it survives restarts and works with
several server processes. One row per (platform, chat, person, kind): a person can owe a
comment and have chosen a department at the same time. Data that names a department keeps
it under "department_id" (a department merge drops such rows).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from models import ConversationState, utcnow
from models.conflicts import upsert

AWAIT_COMMENT = "await_comment"  # the comment of the item whose grade was just pressed
AWAIT_DEPARTMENT = "await_department"  # a message waiting for the department choice
CHOSEN_DEPARTMENT = "department"  # the department this person answers for in this chat
FORM_DRAFT = "form_draft"  # what was typed on the pages of a form (chat id = the form's id)

DEFAULT_TTL = timedelta(minutes=30)
DAY = timedelta(days=1)  # a department choice and a form's draft last a working day


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
) -> None:
    """Set (replace) one kind of state, in one statement."""
    statement = upsert(
        session,
        ConversationState,
        index_elements=["platform", "chat_id", "user_id", "kind"],
        values={
            "platform": platform,
            "chat_id": chat_id,
            "user_id": user_id,
            "kind": kind,
            "data": dict(data),
            "expires_at": (now or utcnow()) + ttl,
        },
        update=["data", "expires_at"],
    )
    session.execute(statement)


def recall_all(
    session: Session, *, platform: str, chat_id: str, user_id: str, now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Every live (unexpired) state of this person in this chat, by kind (one query)."""
    params = {"platform": platform, "chat_id": chat_id, "user_id": user_id}
    rows = session.execute(_RECALL_ALL, {**params, "now": now or utcnow()})
    return {kind: dict(data) for kind, data in rows}


def recall(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    kind: str,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The data of a live state of `kind`, or None."""
    params = {"platform": platform, "chat_id": chat_id, "user_id": user_id, "kind": kind}
    data = session.scalar(_RECALL, {**params, "now": now or utcnow()})
    return None if data is None else dict(data)


_STATES = ConversationState.__table__
assert isinstance(_STATES, Table)
# Every stored answer ends a question a grade button left open: built once.
_FORGET = delete(_STATES).where(
    _STATES.c.platform == bindparam("platform"),
    _STATES.c.chat_id == bindparam("chat_id"),
    _STATES.c.user_id == bindparam("user_id"),
    _STATES.c.kind == bindparam("kind"),
)


# Read with many inbound messages and every page of a form: built once.
_LIVE = (
    _STATES.c.platform == bindparam("platform"),
    _STATES.c.chat_id == bindparam("chat_id"),
    _STATES.c.user_id == bindparam("user_id"),
    _STATES.c.expires_at > bindparam("now"),
)
_RECALL_ALL = select(_STATES.c.kind, _STATES.c.data).where(*_LIVE)
_RECALL = select(_STATES.c.data).where(*_LIVE, _STATES.c.kind == bindparam("kind"))


def forget(session: Session, *, platform: str, chat_id: str, user_id: str, kind: str) -> None:
    params = {"platform": platform, "chat_id": chat_id, "user_id": user_id, "kind": kind}
    session.execute(_FORGET, params)
