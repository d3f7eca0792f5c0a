"""The dispatcher: sends really overlap (threads and event loop), one target at a time, paced.

No timing is asserted: concurrency is proven by barriers that only open when enough sends
are in flight together (a sequential sender would hit the safety timeout and fail).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from handlers.ports import DeliveryError, OutboundMessage, Target
from models import Notification
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.dispatch import deliver_due
from scheduler.outbox import insert_if_absent
from scheduler.ratelimit import RateLimit, rate_limited
from scheduler.runner import tick
from tests.conftest import Db
from tests.scheduler.doubles import RecordingMessenger, jst, link
from tests.scheduler.scenario import BOSAI, JINKEN, KOSODATE, build_scenario

CAL = BusinessCalendar()
NOW = jst(date(2024, 4, 1))
SAFETY = 20.0  # seconds; only reached when sends do not overlap


def add_targets(db: Db, platform: str, count: int) -> None:
    with transaction(db.factory) as s:
        for n in range(count):
            link(s, (JINKEN, KOSODATE, BOSAI)[n % 3], platform=platform, external_id=f"X{n:03d}")


class Overlapping(RecordingMessenger):
    """Each send waits until `together` sends are in flight at once."""

    def __init__(self, platform: str, together: int) -> None:
        super().__init__(platform)
        self.barrier = threading.Barrier(together, timeout=SAFETY)

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        self.barrier.wait()
        super().send(target, message, key=key, resend=resend)


@dataclass
class AsyncOverlapping:
    """An AsyncMessenger whose sends on the loop wait until `together` are pending at once."""

    together: int
    platform: str = "line"
    keys: list[str] = field(default_factory=list)
    closed: int = 0
    _pending: int = 0
    _gate: asyncio.Event | None = None

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        raise AssertionError("the outbox must use send_async on its loop")

    async def send_async(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        if self._gate is None:
            self._gate = asyncio.Event()
        self._pending += 1
        if self._pending >= self.together:
            self._gate.set()
        await asyncio.wait_for(self._gate.wait(), SAFETY)
        if target.external_id == "X000":
            raise DeliveryError("blocked", permanent=True)
        self.keys.append(key)

    async def aclose(self) -> None:
        self.closed += 1


def test_thread_pool_sends_overlap(db: Db) -> None:
    sc = build_scenario(db.factory)
    add_targets(db, "line", 14)
    line = Overlapping("line", together=16)
    tick(db.factory, {"line": line, "slack": sc.slack}, NOW, calendar=CAL, workers=16)
    assert len(line.sent) == 16  # G-KOSO, U-BOSAI and 14 more, all at once


def test_async_sends_overlap_on_one_loop_and_failures_are_recorded(db: Db) -> None:
    sc = build_scenario(db.factory)
    add_targets(db, "line", 30)
    line = AsyncOverlapping(together=30)
    result = tick(db.factory, {"line": line, "slack": sc.slack}, NOW, calendar=CAL, workers=32)
    assert len(line.keys) == len(set(line.keys)) == 31 and line.closed == 1
    assert result.delivery.failed == 1
    assert result.delivery.sent == 31 + 3 + 1  # LINE, the Slack requests, the failure notice
    with transaction(db.factory) as s:
        failed = s.scalars(select(Notification).where(Notification.status == "failed")).one()
        assert failed.last_error == "blocked"
    [notice] = [m for m in sc.slack.to("U-OFFICE") if m.key.endswith(f":i{failed.identity_id}")]
    assert "X000" in str(notice.message)


def test_sends_to_one_target_go_one_at_a_time_in_due_order(db: Db) -> None:
    sc = build_scenario(db.factory)
    office = sc.identities["U-OFFICE"]
    with transaction(db.factory) as s:
        for n in range(6):
            insert_if_absent(
                s,
                key=f"note:{n}",
                round_id=sc.round_id,
                identity_id=office,
                platform="slack",
                department_id=None,
                purpose="failure",
                due_at=NOW.replace(minute=n),
                payload={"text": f"note {n}"},
                now=NOW,
            )

    in_flight: dict[str, int] = {}
    lock = threading.Lock()
    overlaps: list[str] = []

    class OneAtATime(RecordingMessenger):
        def send(
            self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
        ) -> None:
            with lock:
                in_flight[target.external_id] = in_flight.get(target.external_id, 0) + 1
                if in_flight[target.external_id] > 1:
                    overlaps.append(key)
            try:
                super().send(target, message, key=key, resend=resend)
            finally:
                with lock:
                    in_flight[target.external_id] -= 1

    slack = OneAtATime("slack")
    paced = rate_limited({"slack": slack}, {"slack": RateLimit(per_target_interval=0.001)})
    deliver_due(db.factory, paced, worker="w", now=NOW.replace(minute=10), workers=8)
    notes = [s.key for s in slack.to("U-OFFICE")]
    assert notes == [f"note:{n}" for n in range(6)]
    assert overlaps == []
