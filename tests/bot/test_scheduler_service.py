"""`hokoku serve` runs the scheduler in-process: APScheduler ticks, the outbox delivers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

import httpx

from bot.runtime import open_runtime
from bot.scheduler_service import SchedulerService
from bot.server import Platforms, build_app
from bot.settings import Settings
from handlers.ports import OutboundMessage, Target
from tests.asgi_server import running_asgi
from tests.conftest import Db
from tests.scheduler.doubles import ManualClock, RecordingMessenger, jst
from tests.scheduler.scenario import build_scenario


class Notifying(RecordingMessenger):
    def __init__(self, platform: str, expected: int) -> None:
        super().__init__(platform)
        self.expected = expected
        self.done = threading.Event()

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        super().send(target, message, key=key, resend=resend)
        if len(self.sent) >= self.expected:
            self.done.set()


def test_the_app_lifespan_starts_and_stops_the_scheduler(db: Db) -> None:
    sc = build_scenario(db.factory)
    rt = open_runtime(Settings(database_url=db.url))
    slack, line = Notifying("slack", 3), Notifying("line", 2)
    service = SchedulerService(
        rt,
        messengers={"slack": slack, "line": line},
        clock=ManualClock(jst(date(2024, 4, 1))),
        interval_seconds=1,
    )
    app = build_app(rt.settings, rt, platforms=Platforms(), extra_services=[service])
    try:
        with running_asgi(app) as url:
            assert httpx.get(f"{url}/healthz").status_code == 200
            assert slack.done.wait(20) and line.done.wait(20)
        assert service._scheduler is None  # stopped with the app
        assert sorted(s.target.external_id for s in slack.sent + line.sent) == sorted(sc.identities)
    finally:
        rt.close()


def test_healthz_reports_whether_the_scheduler_is_alive(db: Db) -> None:
    build_scenario(db.factory)
    rt = open_runtime(Settings(database_url=db.url))
    real_now = datetime.now(UTC)
    wall = [real_now]  # the liveness clock, moved by hand below
    service = SchedulerService(
        rt,
        messengers={},
        clock=ManualClock(jst(date(2024, 4, 1))),
        interval_seconds=1,
        wall_clock=lambda: wall[0],
    )
    app = build_app(rt.settings, rt, platforms=Platforms(), extra_services=[service])
    try:
        with running_asgi(app) as url:
            for _ in range(200):  # bounded: the first tick runs at start-up
                body = httpx.get(f"{url}/healthz").json()
                if body["scheduler"]["last_tick"]:
                    break
                time.sleep(0.05)
            assert body["scheduler"] == {
                "alive": True,
                "last_tick": real_now.isoformat(),
                "interval_seconds": 1,
                "last_error": None,
                "leader": True,
            }
            assert service._scheduler is not None
            service._scheduler.pause()  # stuck: no new tick starts
            stale = httpx.get(f"{url}/healthz")
            for minutes in (10, 20):  # a tick still in flight may finish once, no more
                wall[0] = real_now + timedelta(minutes=minutes)
                stale = httpx.get(f"{url}/healthz")
                if not stale.json()["scheduler"]["alive"]:
                    break
            assert stale.status_code == 200  # the web part is fine
            assert stale.json()["ok"] is True
            assert stale.json()["scheduler"]["alive"] is False
            assert stale.json()["scheduler"]["last_tick"] is not None
        assert service.health()["alive"] is False  # stopped with the app
    finally:
        rt.close()
