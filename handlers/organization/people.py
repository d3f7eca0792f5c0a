"""People's names as the chat platforms give them, cached so the office reads names.

Answers record who typed them by the platform's id (`U0JIMU01`). The adapters look a
person up once (Slack users.info, LINE's profile), after the platform has its answer, and
store the name here; the history and the text of answers (a Slack mention) read it. A
platform that will not say (a missing scope, a user who did not consent) is remembered as
"" and asked again after RETRY_AFTER, so a missing scope does not cost a call per message.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ChatPerson
from models.conflicts import upsert

MAX_NAME = 200
REFRESH_AFTER = timedelta(days=30)  # names change rarely; a month-old name is looked up again
RETRY_AFTER = timedelta(days=1)  # the platform would not say: ask again tomorrow


def known_names(session: Session, *, platform: str, ids: Collection[str]) -> dict[str, str]:
    """The cached names of these ids (those with one)."""
    if not ids:
        return {}
    rows = session.execute(
        select(ChatPerson.external_id, ChatPerson.name).where(
            ChatPerson.platform == platform, ChatPerson.external_id.in_(set(ids))
        )
    )
    return {external_id: name for external_id, name in rows if name}


def needs_lookup(session: Session, *, platform: str, external_id: str, now: datetime) -> bool:
    """Is this person's name unknown, or old enough to be asked for again?"""
    row = session.execute(
        select(ChatPerson.name, ChatPerson.fetched_at).where(
            ChatPerson.platform == platform, ChatPerson.external_id == external_id
        )
    ).first()
    if row is None:
        return True
    name, fetched_at = row
    return now - fetched_at > (REFRESH_AFTER if name else RETRY_AFTER)


def remember_name(
    session: Session, *, platform: str, external_id: str, name: str, now: datetime
) -> None:
    """Store what the platform said ("": it would not say; a name known before is kept).
    One statement: two lookups at once store one row."""
    name = " ".join(name.split())[:MAX_NAME]
    values = {"platform": platform, "external_id": external_id, "name": name, "fetched_at": now}
    session.execute(
        upsert(
            session,
            ChatPerson,
            index_elements=["platform", "external_id"],
            values=values,
            update=["name", "fetched_at"] if name else ["fetched_at"],
        )
    )
