"""Pruning what only matters for a while, so no table grows without bound.

- `processed_events` (inbound dedupe keys): a platform redelivers within hours, so keys
  older than the retention are dead weight;
- `conversation_states` past their expiry (drafts, awaited comments, choices);
- `invite_failures` once they are far outside the throttling window;
- finished outbox rows (sent / skipped / failed) of *closed* rounds older than the
  retention;
- published chart images (`handlers.export.chart_images`) past their expiry. Rows of open rounds are kept whatever their age: their unique keys are what
  stops a message from being planned and sent a second time.

Answers, revisions and the audit log are never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Delete, delete, select
from sqlalchemy.orm import Session

from models import (
    ConversationState,
    InviteFailure,
    Notification,
    ProcessedEvent,
    PublishedChart,
    Round,
)
from models.outbox import STATUS_FAILED, STATUS_SENT, STATUS_SKIPPED

INVITE_FAILURES_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Pruned:
    events: int
    states: int
    invite_failures: int
    notifications: int
    charts: int


def _deleted(session: Session, statement: Delete) -> int:
    result = session.execute(statement)
    return result.rowcount if isinstance(result, CursorResult) else 0


def prune(session: Session, *, now: datetime, retention: timedelta) -> Pruned:
    """Delete what is older than `retention` (see the module docstring); returns the counts."""
    cutoff = now - retention
    closed = select(Round.id).where(Round.closed_at.is_not(None), Round.closed_at < cutoff)
    return Pruned(
        events=_deleted(session, delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)),
        states=_deleted(
            session, delete(ConversationState).where(ConversationState.expires_at < now)
        ),
        invite_failures=_deleted(
            session, delete(InviteFailure).where(InviteFailure.at < now - INVITE_FAILURES_KEPT)
        ),
        notifications=_deleted(
            session,
            delete(Notification).where(
                Notification.status.in_((STATUS_SENT, STATUS_SKIPPED, STATUS_FAILED)),
                Notification.created_at < cutoff,
                Notification.round_id.in_(closed),
            ),
        ),
        charts=_deleted(session, delete(PublishedChart).where(PublishedChart.expires_at <= now)),
    )
