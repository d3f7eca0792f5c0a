"""One scheduler tick (plan → enqueue → deliver), the injected clock, and the APScheduler wiring.

`tick` is the whole scheduler; APScheduler only calls it every minute. Its job store is
the in-memory one of this process and is never shared: the database outbox is what
several processes agree on, so running two schedulers is safe (and pointless: with a
`lead` gate, scheduler.leader, only one of them ticks).
"""

from __future__ import annotations

import functools
import gc
import os
import socket
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import PURPOSE_REQUEST, Messenger
from handlers.reporting.reports import answerable_round
from models.db import run_transaction, transaction
from scheduler.calendar import BusinessCalendar
from scheduler.dispatch import DEFAULT_WORKERS, deliver_due
from scheduler.due import DueSend, ask_sends, due_sends
from scheduler.outbox import DeliveryStats, enqueue
from scheduler.unconfigured import Unconfigured, held_messages, hold

TICK_SECONDS = 60
ENQUEUE_ATTEMPTS = 3


class Clock(Protocol):
    """Where the scheduler gets the time from (tests inject a clock they advance)."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@functools.cache
def freeze_startup_heap() -> None:
    """Leave the objects alive at start-up out of every later full garbage collection.

    Modules, SDK models and settings live as long as the process and are most of the heap
    (about 250,000 objects with slack_bolt and line-bot-sdk loaded); a fan-out triggers
    full collections that walk them all, about a quarter of its CPU (benchmarks/fanout.py).
    `gc.freeze()` once, when a process starts sending (frozen objects are never collected,
    so never again later).
    """
    gc.collect()
    gc.freeze()


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TickResult:
    now: datetime
    due: list[DueSend] = field(default_factory=list)
    enqueued: int = 0
    superseded: int = 0
    delivery: DeliveryStats = field(default_factory=DeliveryStats)
    # Messages held because their platform is not configured (all of them, not only new).
    unconfigured: tuple[Unconfigured, ...] = ()


def _enqueue_with_retry(
    factory: sessionmaker[Session],
    sends: list[DueSend],
    *,
    now: datetime,
    configured: Collection[str],
) -> tuple[int, int]:
    """Enqueue in one transaction (run again, up to ENQUEUE_ATTEMPTS times, when PostgreSQL
    picks it as a deadlock victim: `models.db.run_transaction`).

    Targets on platforms that are not `configured` are enqueued held, and so are pending
    rows left for such a platform (its settings were removed).
    """
    counts = run_transaction(
        factory,
        lambda session: enqueue(session, sends, now=now, configured=configured),
        attempts=ENQUEUE_ATTEMPTS,
    )
    run_transaction(factory, lambda session: hold(session, configured=configured))
    return counts


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
    workers: int = DEFAULT_WORKERS,
) -> TickResult:
    """Plan what is due at `now`, enqueue it (insert-if-absent), and deliver what is due.

    Targets on platforms without a messenger are enqueued held (`unconfigured`) and
    reported in `TickResult.unconfigured`: never silently dropped.
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
    result.enqueued, result.superseded = _enqueue_with_retry(
        factory, result.due, now=now, configured=messengers.keys()
    )
    if deliver:
        result.delivery = deliver_due(
            factory, messengers, worker=worker or default_worker(), now=now, workers=workers
        )
    with transaction(factory) as session:
        result.unconfigured = held_messages(
            session,
            configured=messengers.keys(),
            organization_id=organization_id,
            round_id=round_id,
        )
    return result


def notify_round(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    now: datetime,
    *,
    round_id: int,
    worker: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> TickResult:
    """Send the round's request now (`hokoku round notify`, `round open --notify`).

    The request key carries no date, so the scheduler's own request on the open date is
    the same row: each target is asked once, however often this runs. Requests to targets
    on unconfigured platforms are held and listed in `TickResult.unconfigured`.
    """
    result = TickResult(now=now)
    with transaction(factory) as session:
        rnd = answerable_round(session, round_id=round_id)  # NotFound / RoundClosed
        result.due = ask_sends(
            session, rnd=rnd, purpose=PURPOSE_REQUEST, day=now.date(), due_at=now
        )
    result.enqueued, result.superseded = _enqueue_with_retry(
        factory, result.due, now=now, configured=messengers.keys()
    )
    result.delivery = deliver_due(
        factory, messengers, worker=worker or default_worker(), now=now, workers=workers
    )
    with transaction(factory) as session:
        result.unconfigured = held_messages(
            session, configured=messengers.keys(), round_id=round_id
        )
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
    workers: int = DEFAULT_WORKERS,
    lead: Callable[[], bool] | None = None,
) -> BackgroundScheduler:
    """Start a BackgroundScheduler (in-memory job store, one thread) that only calls `tick`.

    `lead` (scheduler.leader.LeaderLock.held): asked before each tick; a process that does
    not lead skips the tick and stands by.
    """
    source = clock or SystemClock()
    worker = default_worker()
    freeze_startup_heap()

    def run_tick() -> None:
        if lead is not None and not lead():
            return
        result = tick(
            factory,
            messengers,
            source.now(),
            calendar=calendar,
            organization_id=organization_id,
            worker=worker,
            workers=workers,
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
