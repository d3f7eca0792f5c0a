"""One scheduler tick (plan → enqueue → deliver), the injected clock, and the APScheduler wiring.

`tick` is the whole scheduler; APScheduler only calls it every minute. Its job store is
the in-memory one of this process and is never shared: the database outbox is what
several processes agree on, so running two schedulers is safe (and pointless).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import PURPOSE_REQUEST, Messenger
from handlers.reports import answerable_round
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.due import DueSend, ask_sends, due_sends
from scheduler.outbox import DeliveryStats, deliver_due, enqueue

log = logging.getLogger(__name__)

TICK_SECONDS = 60
ENQUEUE_ATTEMPTS = 3


class Clock(Protocol):
    """Where the scheduler gets the time from (tests inject a clock they advance)."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TickResult:
    now: datetime
    due: list[DueSend] = field(default_factory=list)
    enqueued: int = 0
    superseded: int = 0
    delivery: DeliveryStats = field(default_factory=DeliveryStats)


def _enqueue_with_retry(
    factory: sessionmaker[Session], sends: list[DueSend], *, now: datetime
) -> tuple[int, int]:
    """Enqueue in one transaction; up to three attempts while PostgreSQL picks us as a
    deadlock victim."""
    attempt = 1
    while True:
        try:
            with transaction(factory) as session:
                return enqueue(session, sends, now=now)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "40P01" or attempt == ENQUEUE_ATTEMPTS:
                raise
            attempt += 1
            log.info("enqueue deadlock, retrying")


def tick(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    now: datetime,
    *,
    calendar: BusinessCalendar,
    organization_id: int | None = None,
    round_id: int | None = None,
    worker: str | None = None,
    deliver: bool = True,
) -> TickResult:
    """Plan what is due at `now`, enqueue it (insert-if-absent), and deliver what is due.

    Only targets on platforms with a messenger are enqueued: a platform that is not
    configured gets nothing planned rather than a pile of stale rows.
    """
    result = TickResult(now=now)
    with transaction(factory) as session:
        result.due = due_sends(
            session,
            now=now,
            calendar=calendar,
            organization_id=organization_id,
            round_id=round_id,
        )
    deliverable = [s for s in result.due if s.target.platform in messengers]
    result.enqueued, result.superseded = _enqueue_with_retry(factory, deliverable, now=now)
    if deliver:
        result.delivery = deliver_due(
            factory, messengers, worker=worker or default_worker(), now=now
        )
    return result


def notify_round(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    now: datetime,
    *,
    round_id: int,
    worker: str | None = None,
) -> TickResult:
    """Send the round's request now (`hokoku round notify`, `round open --notify`).

    The request key carries no date, so the scheduler's own request on the open date is
    the same row: each target is asked once, however often this runs.
    """
    result = TickResult(now=now)
    with transaction(factory) as session:
        rnd = answerable_round(session, round_id=round_id)  # NotFound / RoundClosed
        result.due = ask_sends(
            session, rnd=rnd, purpose=PURPOSE_REQUEST, day=now.date(), due_at=now
        )
    deliverable = [s for s in result.due if s.target.platform in messengers]
    result.enqueued, result.superseded = _enqueue_with_retry(factory, deliverable, now=now)
    result.delivery = deliver_due(factory, messengers, worker=worker or default_worker(), now=now)
    return result


def start_scheduler(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    *,
    calendar: BusinessCalendar,
    clock: Clock | None = None,
    organization_id: int | None = None,
    interval_seconds: int = TICK_SECONDS,
    on_tick: Callable[[TickResult], None] | None = None,
) -> BackgroundScheduler:
    """Start a BackgroundScheduler (in-memory job store, one thread) that only calls `tick`."""
    source = clock or SystemClock()
    worker = default_worker()

    def run_tick() -> None:
        result = tick(
            factory,
            messengers,
            source.now(),
            calendar=calendar,
            organization_id=organization_id,
            worker=worker,
        )
        if on_tick is not None:
            on_tick(result)

    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        timezone=calendar.timezone,
    )
    scheduler.add_job(
        run_tick,
        "interval",
        seconds=interval_seconds,
        id="hokoku-tick",
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler
