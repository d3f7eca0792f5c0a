"""Send pacing with an injected clock: Slack per channel, LINE overall."""

from __future__ import annotations

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


def test_line_overall_rate_spaces_sends_by_half_a_millisecond() -> None:
    t = FakeTime()
    limiter = RateLimiter(PLATFORM_LIMITS["line"], clock=t.clock, sleep=t.sleep)
    waits = [limiter.reserve(f"U{n}") for n in range(4001)]
    assert waits[0] == 0.0
    assert abs(waits[2000] - 1.0) < 1e-9  # the 2,001st request waits one second
    assert abs(waits[4000] - 2.0) < 1e-9


def test_no_limit_means_no_wait() -> None:
    limiter = RateLimiter(RateLimit(), clock=lambda: 5.0, sleep=lambda s: None)
    assert [limiter.reserve("same") for _ in range(3)] == [0.0, 0.0, 0.0]
