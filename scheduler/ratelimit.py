"""Client-side pacing of outbound sends, per platform, from the platforms' documented limits.

- Slack `chat.postMessage` (docs.slack.dev/reference/methods/chat.postMessage, "Rate
  limiting"): it "will generally allow an app to post 1 message per second to a specific
  channel"; above that, limits on the app's relationship with the whole workspace limit
  "posting to several hundred messages per minute. Generous burst behavior is also
  granted." (docs.slack.dev/apis/web-api/rate-limits: "Posting messages: 1 per second. Short
  bursts >1 allowed", without a guarantee that a burst is delivered; limits apply per app
  per workspace.) So each channel is spaced by an interval with a margin (no bursts), and
  each workspace by a rate with a burst allowance (`HOKOKU_SLACK_*` settings).
- LINE Messaging API (developers.line.biz/en/reference/messaging-api/#rate-limits): push
  belongs to "Other API endpoints: 2,000 requests per second", per channel (one access
  token, so one group for the whole process).

429s that still happen are retried by the outbox honouring Retry-After. The outbox takes
slots with `try_acquire` and dispatches a send only when its slot is free, so no worker
thread sleeps on the pacing; `RateLimitedMessenger.send` blocks instead (direct callers).
Time and sleeping are injected for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from handlers.ports import Messenger, OutboundMessage, Target


@dataclass(frozen=True)
class RateLimit:
    """Pacing of one platform. 0 means "no limit" for either figure."""

    per_target_interval: float = 0.0  # seconds between two sends to one channel/user
    per_second: float = 0.0  # sends per second per group (Slack: a workspace; LINE: all)
    burst: int = 1  # sends a group may make at once before `per_second` spaces them


# 1.1 s per channel: a margin so scheduling jitter never brings two posts to one channel
# under 1 s. 4/s (240 a minute) stays under "several hundred messages per minute".
SLACK_LIMIT = RateLimit(per_target_interval=1.1, per_second=4.0, burst=10)


def within(per_second: float) -> RateLimit:
    """A rate with a burst that never exceeds `per_second` requests in any one second.

    At most burst + rate × t requests go out in any t seconds, so 95 % of the limit as the
    rate and 5 % as the burst keep to it: sends start in groups instead of one every
    0.5 ms, which a sender handing out slots in rounds could never keep up with.
    """
    burst = max(1, int(per_second * 0.05))
    return RateLimit(per_second=per_second - burst, burst=burst)


LINE_LIMIT = within(2000.0)
PLATFORM_LIMITS: dict[str, RateLimit] = {"slack": SLACK_LIMIT, "line": LINE_LIMIT}


class RateLimiter:
    """Send slots: per target spaced by an interval, per group by a rate with a burst.

    The group rate is the generic cell rate algorithm (a token bucket that keeps one
    timestamp): a send is allowed when `now >= tat - tolerance`, and moves `tat` (the
    theoretical arrival time) on by one emission interval. Thread-safe.
    """

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
        self._tat: dict[str, float] = {}
        self._interval = 1.0 / limit.per_second if limit.per_second else 0.0
        self._tolerance = self._interval * max(limit.burst - 1, 0)

    def try_acquire(self, target: str, group: str = "") -> float:
        """Take a slot for `target` now if both limits allow it (returns 0.0).

        Otherwise nothing is booked and the result is how long to wait before asking again.
        """
        with self._lock:
            now = self.clock()
            target_free = self._next_for_target.get(target, now)
            tat = max(self._tat.get(group, now), now)
            group_free = tat - self._tolerance
            wait = max(target_free, group_free) - now
            if wait > 0:
                return wait
            if self.limit.per_target_interval:
                self._next_for_target[target] = now + self.limit.per_target_interval
            if self._interval:
                self._tat[group] = tat + self._interval
            return 0.0

    def group_wait(self, group: str = "") -> float:
        """How long until the group's rate allows a send (nothing is booked)."""
        with self._lock:
            now = self.clock()
            return max(0.0, self._tat.get(group, now) - self._tolerance - now)

    def acquire(self, target: str, group: str = "") -> None:
        """Block until a slot for `target` is free, and take it."""
        while (wait := self.try_acquire(target, group)) > 0:
            self.sleep(wait)


def slot_keys(target: Target) -> tuple[str, str]:
    """(target key, group key): a channel/user within its workspace, and the workspace."""
    return f"{target.workspace}:{target.external_id}", target.workspace


class RateLimitedMessenger:
    """A Messenger paced by its platform's RateLimiter.

    `send` waits for the slot itself; the outbox instead asks `try_acquire` and calls
    `inner.send` once the slot is its own, so its worker threads never sleep.
    """

    def __init__(self, inner: Messenger, limiter: RateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.platform = inner.platform

    def try_acquire(self, target: Target) -> float:
        return self.limiter.try_acquire(*slot_keys(target))

    def group_wait(self, target: Target) -> float:
        """How long until `target`'s group (Slack workspace; all of LINE) may send again."""
        return self.limiter.group_wait(slot_keys(target)[1])

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        self.limiter.acquire(*slot_keys(target))
        self.inner.send(target, message, key=key, resend=resend)


def rate_limited(
    messengers: Mapping[str, Messenger], limits: Mapping[str, RateLimit] = PLATFORM_LIMITS
) -> dict[str, Messenger]:
    """Wrap each messenger whose platform has a limit (console: none)."""
    wrapped: dict[str, Messenger] = {}
    for platform, messenger in messengers.items():
        limit = limits.get(platform)
        wrapped[platform] = (
            RateLimitedMessenger(messenger, RateLimiter(limit)) if limit else messenger
        )
    return wrapped
