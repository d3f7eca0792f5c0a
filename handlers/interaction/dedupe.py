"""Inbound dedupe: remember which platform deliveries were already handled.

Slack retries events (X-Slack-Retry-Num) and LINE redelivers webhooks; both carry an id.
`claim_event` is called inside the same transaction as the work the event causes, so a
failed attempt leaves no claim behind and the retry is handled normally. On PostgreSQL an
inbound delivery is claimed in the statement that reads who asks
(`handlers.interaction.access.claimed_caller_of`), with the same conflict rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.orm import Session

from models import ProcessedEvent, utcnow
from models.conflicts import insert_ignoring_conflict

MAX_KEY = 300


def claim_event(
    session: Session, *, platform: str, event_key: str, now: datetime | None = None
) -> bool:
    """True the first time this (platform, key) is seen; False for a redelivery.

    One `INSERT … ON CONFLICT DO NOTHING RETURNING`: a concurrent delivery of the same
    event waits on the unique index until the first transaction ends, then inserts nothing
    (or, if the first one rolled back, claims it itself).
    """
    dialect = session.get_bind().dialect.name
    statement = _CLAIMS.get(dialect)
    if statement is None:  # built once per database kind: the same statement every time
        table = ProcessedEvent.__table__
        assert isinstance(table, Table)
        statement = _CLAIMS[dialect] = (
            insert_ignoring_conflict(session, table, index_elements=["platform", "event_key"])
            .values(
                platform=bindparam("platform"),
                event_key=bindparam("event_key"),
                received_at=bindparam("received_at"),
            )
            .returning(table.c.id)
        )
    params = {
        "platform": platform,
        "event_key": event_key[:MAX_KEY],
        "received_at": now or utcnow(),
    }
    return session.execute(statement, params).first() is not None


_CLAIMS: dict[str, Any] = {}
