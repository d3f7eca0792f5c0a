"""Client-side pacing of outbound sends, per platform.

Slack allows about one message per second per channel (chat.postMessage); LINE's push API
allows 2,000 requests per second per channel access token. A `RateLimitedMessenger`
wraps any Messenger and waits before a send that would exceed either limit, so a large
fan-out stays inside them instead of collecting 429s. (429s that still happen are
retried by the outbox honouring Retry-After.) Time and sleeping are injected for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from handlers.ports import Messenger, OutboundMessage, Target


@dataclass(frozen=True)
class RateLimit:
    per_target_interval: float = 0.0  # seconds between two sends to one channel/user
    per_second: float = 0.0  # sends per second over all targets (0 = unlimited)


# Slack: ~1 msg/s per channel; LINE: 2,000 req/s. Console: none.
PLATFORM_LIMITS = {
    # 1.1 s: a margin so scheduling jitter never brings two posts to one channel under 1 s.
    "slack": RateLimit(per_target_interval=1.1),
    "line": RateLimit(per_second=2000.0),
}


class RateLimiter:
    """Reserves send slots: per target spaced by an interval, overall by a rate (thread-safe)."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._next_for_target: dict[str, float] = {}
        self._next_global = 0.0

    def reserve(self, target: str) -> float:
        """Book the earliest allowed slot for `target`; returns how long to wait for it."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next_for_target.get(target, now), self._next_global)
            if self.limit.per_target_interval:
                self._next_for_target[target] = slot + self.limit.per_target_interval
            if self.limit.per_second:
                self._next_global = slot + 1.0 / self.limit.per_second
            return slot - now

    def acquire(self, target: str) -> None:
        wait = self.reserve(target)
        if wait > 0:
            self.sleep(wait)


class RateLimitedMessenger:
    """A Messenger that paces sends with its platform's RateLimiter."""

    def __init__(self, inner: Messenger, limiter: RateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.platform = inner.platform

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        self.limiter.acquire(f"{target.workspace}:{target.external_id}")
        self.inner.send(target, message, key=key, resend=resend)


def rate_limited(messengers: dict[str, Messenger]) -> dict[str, Messenger]:
    """Wrap each messenger whose platform has a known limit."""
    wrapped: dict[str, Messenger] = {}
    for platform, messenger in messengers.items():
        limit = PLATFORM_LIMITS.get(platform)
        wrapped[platform] = (
            RateLimitedMessenger(messenger, RateLimiter(limit)) if limit else messenger
        )
    return wrapped
