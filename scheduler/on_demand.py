"""A reminder sent now, to departments the office chooses (the console's "remind now").

It is the scheduler's own reminder (or, after the deadline, its chase) of today: the same
outbox key `r{round}:i{identity}:{purpose}:{today}`, so pressing the button twice, or the
scheduler's reminder of the same day, sends nothing twice. Only departments with items
still unanswered get it; departments with no one linked are reported, not silently left.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import PURPOSE_OVERDUE, PURPOSE_REMINDER, Messenger
from handlers.reporting.reports import answerable_round
from models import ChatIdentity, Department
from models.db import run_transaction, transaction
from scheduler.calendar import BusinessCalendar
from scheduler.dispatch import DEFAULT_WORKERS, deliver_due
from scheduler.due import DueSend, ask_sends, existing_keys
from scheduler.outbox import DeliveryStats, enqueue
from scheduler.runner import ENQUEUE_ATTEMPTS, default_worker
from scheduler.unconfigured import Unconfigured, held_messages


@dataclass
class Reminded:
    """What "remind now" did: new messages, those already in the outbox, who is unreachable."""

    purpose: str
    enqueued: int = 0
    already: int = 0
    departments: tuple[str, ...] = ()  # reminded now (new messages)
    unlinked: tuple[str, ...] = ()  # chosen, missing answers, no one linked
    delivery: DeliveryStats = field(default_factory=DeliveryStats)
    unconfigured: tuple[Unconfigured, ...] = ()


def reminder_sends(
    session: Session,
    *,
    round_id: int,
    department_ids: Collection[int],
    now: datetime,
    calendar: BusinessCalendar,
) -> tuple[str, list[DueSend], list[DueSend], tuple[str, ...]]:
    """(purpose, new sends, sends already in the outbox, chosen departments nobody can be
    sent to) for today's reminder of the chosen departments."""
    rnd = answerable_round(session, round_id=round_id)  # NotFound / RoundClosed
    day = calendar.local_date(now)
    purpose = PURPOSE_OVERDUE if day > rnd.deadline else PURPOSE_REMINDER
    wanted = set(department_ids)
    sends = [
        s
        for s in ask_sends(session, rnd=rnd, purpose=purpose, day=day, due_at=now, only_new=False)
        if s.department_id in wanted
    ]
    done = existing_keys(session, keys=[s.key for s in sends])
    reached = {s.department_id for s in sends}
    missing = sorted(wanted - reached)
    unlinked: tuple[str, ...] = ()
    if missing:
        pending = {
            d
            for d in missing
            if session.scalar(
                select(ChatIdentity.id).where(
                    ChatIdentity.department_id == d, ChatIdentity.active.is_(True)
                )
            )
            is None
        }
        unlinked = tuple(
            session.scalars(
                select(Department.name).where(Department.id.in_(pending)).order_by(Department.name)
            )
        )
    new = [s for s in sends if s.key not in done]
    return purpose, new, [s for s in sends if s.key in done], unlinked


def remind_now(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    now: datetime,
    *,
    round_id: int,
    department_ids: Collection[int],
    calendar: BusinessCalendar,
    worker: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Reminded:
    """Enqueue today's reminder for the chosen departments and deliver what is due."""
    with transaction(factory) as session:
        purpose, new, already, unlinked = reminder_sends(
            session, round_id=round_id, department_ids=department_ids, now=now, calendar=calendar
        )
    result = Reminded(purpose=purpose, already=len(already), unlinked=unlinked)
    if new:
        result.enqueued, _ = run_transaction(
            factory,
            lambda session: enqueue(session, new, now=now, configured=messengers.keys()),
            attempts=ENQUEUE_ATTEMPTS,
        )
        result.departments = tuple(sorted({s.department_name for s in new}))
        result.delivery = deliver_due(
            factory, messengers, worker=worker or default_worker(), now=now, workers=workers
        )
    with transaction(factory) as session:
        result.unconfigured = held_messages(
            session, configured=messengers.keys(), round_id=round_id
        )
    return result
