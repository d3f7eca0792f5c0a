"""After a round's deadline moved (`round edit`, `round reopen --deadline`): drop stale sends.

The scheduler plans from the round's deadline at every tick, so reminders and chases follow
a new deadline by themselves. What it planned before and has not delivered yet (a row
waiting for a retry, or claimed by a worker that died) would still go out: an overdue
chase after the deadline was extended, a reminder for the old date. Those rows are marked
skipped here, in the same transaction as the edit; rows the new calendar still plans for
the same day stay.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.ports import PURPOSE_DIGEST, PURPOSE_REQUEST
from models import Notification, Round
from models.outbox import STATUS_CLAIMED, STATUS_PENDING, STATUS_SKIPPED
from scheduler.calendar import BusinessCalendar
from scheduler.schedule import ASK_FAMILY, Schedule, round_calendar

REPLANNED = "replanned: the round's deadline changed"


def drop_unplanned_sends(session: Session, *, rnd: Round, calendar: BusinessCalendar) -> int:
    """Mark undelivered asks and digests of the round that its calendar no longer plans."""
    rows = [
        row
        for row in session.scalars(
            select(Notification).where(
                Notification.round_id == rnd.id,
                Notification.status.in_([STATUS_PENDING, STATUS_CLAIMED]),
                Notification.purpose.in_([*ASK_FAMILY, PURPOSE_DIGEST]),
                Notification.purpose != PURPOSE_REQUEST,  # asked once per round, whatever the date
            )
        )
        if isinstance(row.payload.get("day"), str)
    ]
    if not rows:
        return 0
    days = {row.id: date.fromisoformat(str(row.payload["day"])) for row in rows}
    planned = {
        (send.purpose, send.day)
        for send in round_calendar(
            opens_on=rnd.opens_on,
            deadline=rnd.deadline,
            schedule=Schedule.from_json(rnd.schedule),
            calendar=calendar,
            until=max(days.values()),
        )
    }
    dropped = 0
    for row in rows:
        if (row.purpose, days[row.id]) not in planned:
            row.status = STATUS_SKIPPED
            row.last_error = REPLANNED
            row.claimed_by = None
            dropped += 1
    session.flush()
    return dropped
