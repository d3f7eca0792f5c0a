"""Inbound dedupe: remember which platform deliveries were already handled.

Slack retries events (X-Slack-Retry-Num) and LINE redelivers webhooks; both carry an id.
`claim_event` is called inside the same transaction as the work the event causes, so a
failed attempt leaves no claim behind and the retry is handled normally.
"""

from __future__ import annotations

from datetime import datetime

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
    statement = (
        insert_ignoring_conflict(session, ProcessedEvent, index_elements=["platform", "event_key"])
        .values(platform=platform, event_key=event_key[:MAX_KEY], received_at=now or utcnow())
        .returning(ProcessedEvent.id)
    )
    return session.execute(statement).first() is not None
