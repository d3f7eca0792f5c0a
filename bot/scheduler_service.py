"""The scheduler as a background service of `hokoku serve` (started with the app's lifespan)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.messengers import build_messengers, calendar_from_settings
from bot.runtime import Runtime
from handlers.ports import Messenger
from models import utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, transaction
from scheduler.housekeeping import prune
from scheduler.runner import Clock, TickResult, start_scheduler

logger = logging.getLogger("hokoku.scheduler")


class SchedulerService:
    """Ticks every HOKOKU_SCHEDULER_INTERVAL seconds in this process (in-memory job store)."""

    name = "scheduler"

    def __init__(
        self,
        runtime: Runtime,
        *,
        messengers: Mapping[str, Messenger] | None = None,
        clock: Clock | None = None,
        interval_seconds: int | None = None,
    ) -> None:
        self.runtime = runtime
        self.calendar = calendar_from_settings(runtime.settings)
        self.messengers = (
            messengers if messengers is not None else build_messengers(runtime.settings)
        )
        self.clock = clock
        self.interval = interval_seconds or runtime.settings.scheduler_interval
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        self._scheduler = start_scheduler(
            self.runtime.factory,
            self.messengers,
            calendar=self.calendar,
            clock=self.clock,
            organization_id=self.runtime.organization_id,
            interval_seconds=self.interval,
            on_tick=self._log,
        )

        self._scheduler.add_job(
            self._housekeeping,
            "interval",
            hours=1,
            id="hokoku-housekeeping",
            next_run_time=utcnow(),
        )

    def _housekeeping(self) -> None:
        """Hourly: prune dedupe keys, expired states and old outbox rows (scheduler/housekeeping)."""
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

    @staticmethod
    def _log(result: TickResult) -> None:
        d = result.delivery
        if result.enqueued or d.sent or d.failed or d.retried:
            logger.info(
                "tick: enqueued %d, sent %d, skipped %d, retried %d, failed %d",
                result.enqueued,
                d.sent,
                d.skipped,
                d.retried,
                d.failed,
            )
