"""The scheduler as a background service of `hokoku serve` (started with the app's lifespan)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from apscheduler.schedulers.background import BackgroundScheduler

from bot.messengers import build_messengers, calendar_from_settings
from bot.runtime import Runtime
from handlers.ports import Messenger
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
            workers=self.runtime.settings.send_workers,
        )

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

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
