"""The scheduler as a background service of `hokoku serve` (started with the app's lifespan)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from bot.messengers import build_messengers, calendar_from_settings
from bot.runtime import Runtime
from handlers.ports import Messenger
from models import utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, transaction
from scheduler.housekeeping import prune
from scheduler.leader import LeaderLock
from scheduler.runner import Clock, TickResult, start_scheduler

logger = logging.getLogger(__name__)

# `/healthz` calls the scheduler dead when no tick has finished for this many intervals.
STALE_INTERVALS = 3


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SchedulerService:
    """Ticks every HOKOKU_SCHEDULER_INTERVAL seconds in this process (in-memory job store).

    Every worker of `hokoku serve --workers N`, and every replica, starts one; only the
    holder of the leader lock (scheduler.leader) ticks and keeps house, the others stand
    by and take over within one interval when it stops. `/healthz` says which it is
    (`leader`).

    Remembers when its last tick finished, so `/healthz` can tell a live scheduler from a
    stuck or crashed one (`wall_clock` is the real time, injectable for tests; `clock` is
    the time the ticks plan with).
    """

    name = "scheduler"

    def __init__(
        self,
        runtime: Runtime,
        *,
        messengers: Mapping[str, Messenger] | None = None,
        clock: Clock | None = None,
        interval_seconds: int | None = None,
        wall_clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.runtime = runtime
        self.calendar = calendar_from_settings(runtime.settings)
        self.messengers = (
            messengers
            if messengers is not None
            else build_messengers(runtime.settings, factory=runtime.factory)
        )
        self.clock = clock
        self.interval = interval_seconds or runtime.settings.scheduler_interval
        self.wall_clock = wall_clock
        self._scheduler: BackgroundScheduler | None = None
        self._started_at: datetime | None = None
        self._last_tick: datetime | None = None
        self._last_error: str | None = None
        self._lock = threading.Lock()
        self.leader = LeaderLock(runtime.engine, organization_id=runtime.organization_id)
        self._leading = False

    def _leads(self) -> bool:
        leading = self.leader.held()
        with self._lock:
            self._leading = leading
        return leading

    def start(self) -> None:
        self._scheduler = start_scheduler(
            self.runtime.factory,
            self.messengers,
            calendar=self.calendar,
            clock=self.clock,
            organization_id=self.runtime.organization_id,
            interval_seconds=self.interval,
            on_tick=self._log,
            workers=self.runtime.settings.send_workers,
            lead=self._leads,
        )
        self._started_at = self.wall_clock()
        self._scheduler.add_listener(self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

        self._scheduler.add_job(
            self._housekeeping,
            "interval",
            hours=1,
            id="hokoku-housekeeping",
            next_run_time=utcnow(),
        )

    def _housekeeping(self) -> None:
        """Hourly: prune dedupe keys, expired states and old outbox rows (scheduler/housekeeping)."""
        if not self._leads():
            return
        retention = timedelta(days=self.runtime.settings.retention_days)
        try:
            with transaction(self.runtime.factory) as session:
                pruned = prune(session, now=utcnow(), retention=retention)
        except (DatabaseBusy, DatabaseUnavailable) as exc:
            logger.warning("housekeeping skipped, database not available: %s", exc)
            return
        if any(vars(pruned).values()):
            logger.info("housekeeping: pruned %s", pruned)

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        self.leader.release()

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        with self._lock:
            if event.exception is None:
                self._last_tick, self._last_error = self.wall_clock(), None
            else:
                self._last_error = repr(event.exception)

    def health(self) -> dict[str, object]:
        """`alive` while ticks keep finishing: the last one (or the start) is recent enough."""
        with self._lock:
            last_tick, last_error, leading = self._last_tick, self._last_error, self._leading
        running = self._scheduler is not None and self._scheduler.running
        since = last_tick or self._started_at
        fresh = since is not None and self.wall_clock() - since <= timedelta(
            seconds=STALE_INTERVALS * self.interval
        )
        return {
            "alive": running and fresh,
            "last_tick": last_tick.isoformat() if last_tick else None,
            "interval_seconds": self.interval,
            "last_error": last_error,
            "leader": leading,
        }

    @staticmethod
    def _log(result: TickResult) -> None:
        d = result.delivery
        if result.enqueued or d.sent or d.failed or d.retried:
            logger.info(
                "tick: enqueued %d, sent %d, skipped %d, retried %d, failed %d, held %d",
                result.enqueued,
                d.sent,
                d.skipped,
                d.retried,
                d.failed,
                sum(u.count for u in result.unconfigured),
            )
