"""Inbound dedupe: remember which platform deliveries were already handled.

Slack retries events (X-Slack-Retry-Num) and LINE redelivers webhooks; both carry an id.
`claim_event` is called inside the same transaction as the work the event causes, so a
failed attempt leaves no claim behind and the retry is handled normally.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ProcessedEvent

MAX_KEY = 300


def claim_event(session: Session, *, platform: str, event_key: str) -> bool:
    """True the first time this (platform, key) is seen; False for a redelivery.

    Call it first in the transaction: the row's unique index is what serializes two
    concurrent deliveries (the loser waits, then sees the violation).
    """
    key = event_key[:MAX_KEY]
    if session.scalar(
        select(ProcessedEvent.id).where(
            ProcessedEvent.platform == platform, ProcessedEvent.event_key == key
        )
    ):
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(platform=platform, event_key=key))
    except IntegrityError:
        return False
    return True
