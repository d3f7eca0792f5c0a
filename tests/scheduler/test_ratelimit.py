"""Send pacing with an injected clock: Slack per channel, LINE overall."""

from __future__ import annotations

from itertools import pairwise

from handlers.i18n import literal
from handlers.ports import Target, TextMessage
from scheduler.ratelimit import PLATFORM_LIMITS, RateLimit, RateLimitedMessenger, RateLimiter
from tests.scheduler.doubles import RecordingMessenger


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_slack_sends_to_one_channel_are_over_a_second_apart_other_channels_go_at_once() -> None:
    t = FakeTime()
    limiter = RateLimiter(PLATFORM_LIMITS["slack"], clock=t.clock, sleep=t.sleep)
    inner = RecordingMessenger("slack")
    messenger = RateLimitedMessenger(inner, limiter)
    stamps: list[tuple[str, float]] = []
    for n, channel in enumerate(["C1", "C1", "C2", "C1", "C3"]):
        messenger.send(Target("slack", channel, "channel"), TextMessage(literal("x")), key=f"k{n}")
        stamps.append((channel, t.now))
    assert stamps == [("C1", 0.0), ("C1", 1.1), ("C2", 1.1), ("C1", 2.2), ("C3", 2.2)]
    assert len(inner.sent) == 5


def test_line_never_exceeds_2000_requests_in_any_second_and_starts_them_in_groups() -> None:
    t = FakeTime()
    limiter = RateLimiter(PLATFORM_LIMITS["line"], clock=t.clock, sleep=t.sleep)
    starts = []
    for n in range(10_000):
        limiter.acquire(f"U{n}")
        starts.append(t.now)
    assert max(starts[:100]) < 1e-9  # a group at once, not one every 0.5 ms
    lo = 0
    for hi, at in enumerate(starts):  # any window of one second
        while at - starts[lo] >= 1.0:
            lo += 1
        assert hi - lo + 1 <= 2000
    assert (len(starts) - 100) / starts[-1] > 1899  # and close to the limit overall


def test_slack_workspace_rate_allows_a_burst_then_spaces_every_channel() -> None:
    t = FakeTime()
    limit = RateLimit(per_target_interval=1.1, per_second=4.0, burst=10)
    limiter = RateLimiter(limit, clock=t.clock, sleep=t.sleep)
    starts = []
    for n in range(30):  # 30 different channels of one workspace
        limiter.acquire(f"T1:C{n}", "T1")
        starts.append(t.now)
    assert starts[:10] == [0.0] * 10  # the burst
    gaps = [b - a for a, b in pairwise(starts[9:])]
    assert all(abs(gap - 0.25) < 1e-9 for gap in gaps)  # then 4 per second
    assert limiter.try_acquire("T2:C0", "T2") == 0.0  # another workspace has its own rate


def test_a_refused_slot_is_not_booked() -> None:
    t = FakeTime()
    limiter = RateLimiter(RateLimit(per_target_interval=1.1), clock=t.clock, sleep=t.sleep)
    assert limiter.try_acquire("C1") == 0.0
    t.now = 0.5
    assert abs(limiter.try_acquire("C1") - 0.6) < 1e-9
    t.now = 1.1
    assert limiter.try_acquire("C1") == 0.0  # asking early did not push the slot back


def test_no_limit_means_no_wait() -> None:
    limiter = RateLimiter(RateLimit(), clock=lambda: 5.0, sleep=lambda s: None)
    assert [limiter.try_acquire("same") for _ in range(3)] == [0.0, 0.0, 0.0]
