"""Deliver what is due: claim batches, send them concurrently, paced, and record the outcome.

A delivery runs on an event loop of its own, in the calling thread, and hands the database
work, one job at a time, to a single thread of its own (one session per job, each a short
transaction): claim a batch sized to the workers and build its messages (a fixed number of
queries per batch, scheduler.messages), or record outcomes in bulk (one UPDATE per claim
token for all that was sent since the last time). Sends go on meanwhile, so a commit's
fsync never stalls them, and a delivery needs one database connection whatever its worker
count.

Up to `workers` sends per platform are in flight at once: as tasks on the loop when the
Messenger can send asynchronously (LINE, handlers.ports.AsyncMessenger), else on a thread
pool of the platform's own (Slack, console). A slow or rate-limited platform never holds
up another.

Pacing (scheduler.ratelimit): a send starts only once its rate-limit slot is free, so no
worker sleeps on the limit and a Slack channel's spacing is measured from the moment the
send really starts. Sends to one target go one at a time, in due order. Paced platforms
are claimed only a short horizon ahead, far inside the claim lease.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import AsyncMessenger, DeliveryError, Messenger
from models.db import transaction
from scheduler.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    Claimed,
    DeliveryStats,
    backoff,
    claim,
    load_claimed,
    mark_failed,
    mark_retry,
    mark_sent,
    mark_skipped,
)
from scheduler.ratelimit import RateLimitedMessenger, slot_keys

logger = logging.getLogger(__name__)

# Sends in flight per platform and scheduler (HOKOKU_SEND_WORKERS): LINE's 2,000 requests
# a second at ~50 ms per request need 100 in flight.
DEFAULT_WORKERS = 100
CLAIM_BATCHES = 2  # a claim takes up to 2 × workers rows (one commit each: few and big)
BATCHES_IN_HAND = 2  # rows held per platform: up to this many claims ahead
PACED_HORIZON = 20.0  # seconds of paced sends claimed ahead (LEASE is 10 minutes)
FLUSH_SECONDS = 0.2  # an outcome waits at most this long before it is recorded …
FLUSH_ROWS = 2  # … or until this many × workers outcomes are waiting
IDLE_WAIT = 0.5


@dataclass
class _Platform:
    """One platform's share of a delivery: how it sends, and the rows it holds."""

    name: str
    sender: Messenger  # the messenger itself, unwrapped from its pacing
    paced: RateLimitedMessenger | None
    budget: int  # rows claimed and not yet recorded, at most
    pool: ThreadPoolExecutor | None  # None: the sender is an AsyncMessenger
    held: int = 0
    not_before: float = 0.0  # the platform's rate allows no send before (monotonic)
    in_flight: int = 0
    exhausted: bool = False
    ready: deque[Claimed] = field(default_factory=deque)  # claimed, in due order
    owned: deque[Claimed] = field(default_factory=deque)  # next up for their target


def _platform(name: str, messenger: Messenger, workers: int) -> _Platform:
    paced = messenger if isinstance(messenger, RateLimitedMessenger) else None
    sender = paced.inner if paced is not None else messenger
    budget = workers * CLAIM_BATCHES * BATCHES_IN_HAND
    if paced is not None and paced.limiter.limit.per_second:
        budget = min(budget, max(1, int(paced.limiter.limit.per_second * PACED_HORIZON)))
    pool = (
        None
        if isinstance(sender, AsyncMessenger)
        else ThreadPoolExecutor(workers, thread_name_prefix=f"hokoku-{name}")
    )
    return _Platform(name=name, sender=sender, paced=paced, budget=budget, pool=pool)


@dataclass
class _Outcome:
    item: Claimed
    error: DeliveryError | None


@dataclass
class _Claimed:
    """What a claim job hands back: the rows to send (messages built) and the counts."""

    platform: str
    asked: int
    items: list[Claimed]
    claimed: int
    skipped: int
    lost: int


@dataclass
class _Recorded:
    """What a record job hands back: the outcomes it wrote and what they counted."""

    outcomes: list[_Outcome]
    stats: DeliveryStats
    notices: int


class Dispatcher:
    """One delivery run: until nothing due is left for the configured platforms."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        messengers: Mapping[str, Messenger],
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        workers: int,
    ) -> None:
        self.factory = factory
        self.worker = worker
        self.now = now
        self.lease = lease
        self.workers = max(1, workers)
        self.configured = frozenset(messengers)
        self.platforms = {
            name: _platform(name, messenger, self.workers) for name, messenger in messengers.items()
        }
        self.stats = DeliveryStats()
        self._done: deque[tuple[Claimed, asyncio.Future[None]]] = deque()
        self._waiter: asyncio.Future[None] | None = None  # _collect waiting for a send
        self._timeline: list[tuple[float, int, Claimed]] = []  # (not before, seq, item)
        self._seq = itertools.count()
        # target → its sends waiting behind the one that holds it (in flight, or next up and
        # waiting for its slot): one send to a target at a time, in due order.
        self._busy: dict[str, deque[Claimed]] = {}
        self._outcomes: list[_Outcome] = []
        self._oldest = 0.0
        self._db = ThreadPoolExecutor(1, thread_name_prefix="hokoku-outbox-db")
        self._job: asyncio.Future[_Claimed] | asyncio.Future[_Recorded] | None = None
        self._last_job = ""

    def run(self) -> DeliveryStats:
        return asyncio.run(self._run())

    async def _run(self) -> DeliveryStats:
        try:
            while True:
                self._start_job()
                self._dispatch()
                if self._finished():
                    return self.stats
                await self._collect()
                self._end_job()
                self._dispatch()
        finally:
            self._db.shutdown(wait=True)
            for platform in self.platforms.values():
                if platform.pool is not None:
                    platform.pool.shutdown(wait=True)
                else:
                    await cast(AsyncMessenger, platform.sender).aclose()

    def _finished(self) -> bool:
        return (
            self._job is None
            and not self._outcomes
            and all(p.exhausted and not p.held for p in self.platforms.values())
        )

    # -- database jobs (one at a time, on the database thread) -----------------------------

    def _start_job(self) -> None:
        """Start a claim or a record job if one is due and none is running."""
        if self._job is not None:
            return
        flush = bool(self._outcomes) and (
            not any(p.in_flight for p in self.platforms.values())
            or time.monotonic() - self._oldest >= FLUSH_SECONDS
            or len(self._outcomes) >= self.workers * FLUSH_ROWS
        )
        wanted = [
            (platform, limit)
            for platform in self.platforms.values()
            if not platform.exhausted
            and (limit := min(platform.budget - platform.held, self._batch(platform)))
            >= self._batch(platform)
        ]
        loop = asyncio.get_running_loop()
        job: asyncio.Future[_Claimed] | asyncio.Future[_Recorded]
        if flush and not (wanted and self._last_job == "record"):
            outcomes, self._outcomes = self._outcomes, []
            job = loop.run_in_executor(self._db, self._record, outcomes)
            self._last_job = "record"
        elif wanted:
            platform, limit = wanted[0]
            job = loop.run_in_executor(self._db, self._claim, platform.name, limit)
            self._last_job = "claim"
        else:
            return
        job.add_done_callback(lambda _: _wake(self._waiter))
        self._job = job

    def _end_job(self) -> None:
        """Take in the result of a finished job (its exception, if any, is raised here)."""
        if self._job is None or not self._job.done():
            return
        result, self._job = self._job.result(), None
        if isinstance(result, _Claimed):
            platform = self.platforms[result.platform]
            platform.exhausted = result.claimed < result.asked
            platform.held += len(result.items)
            platform.ready.extend(result.items)
            self.stats.skipped += result.skipped
            self.stats.lost_claim += result.lost
            return
        self.stats.add(result.stats)
        for outcome in result.outcomes:
            self.platforms[outcome.item.target.platform].held -= 1
        if result.notices:  # failure notices for the office are due now: look again
            for platform in self.platforms.values():
                platform.exhausted = False

    def _batch(self, platform: _Platform) -> int:
        return min(self.workers * CLAIM_BATCHES, platform.budget)

    def _claim(self, platform: str, limit: int) -> _Claimed:
        """Claim up to `limit` rows of `platform` and build their messages (database thread)."""
        token, ids = claim(
            self.factory,
            worker=self.worker,
            now=self.now,
            platforms=[platform],
            limit=limit,
            lease=self.lease,
        )
        if not ids:
            return _Claimed(platform, limit, [], 0, 0, 0)
        with transaction(self.factory) as session:
            items = load_claimed(session, token=token, ids=ids, configured=self.configured)
            unneeded = [i.row_id for i in items if i.message is None]
            skipped = mark_skipped(session, token=token, ids=unneeded)
        return _Claimed(
            platform=platform,
            asked=limit,
            items=[i for i in items if i.message is not None],
            claimed=len(ids),
            skipped=skipped,
            lost=len(ids) - len(items),
        )

    def _record(self, outcomes: list[_Outcome]) -> _Recorded:
        """Write the outcomes: sent in bulk per claim token, retries, failures (database thread)."""
        stats = DeliveryStats()
        sent: dict[str, list[int]] = {}
        notices = 0
        with transaction(self.factory) as session:
            for outcome in outcomes:
                item, error = outcome.item, outcome.error
                if error is None:
                    sent.setdefault(item.token, []).append(item.row_id)
                    continue
                message = str(error)[:2000]
                if error.permanent or item.attempts >= MAX_ATTEMPTS:
                    ours, queued = mark_failed(session, item=item, error=message, now=self.now)
                    stats.failed += ours
                    notices += queued
                    logger.warning("notification %s failed permanently: %s", item.key, message)
                    continue
                retry_at = self.now + backoff(item.attempts, error.retry_after)
                if mark_retry(session, item=item, error=message, retry_at=retry_at):
                    stats.retried += 1
                logger.info(
                    "notification %s will be retried at %s: %s", item.key, retry_at, message
                )
            for token, ids in sent.items():
                keys = mark_sent(session, token=token, ids=ids, now=self.now)
                stats.sent += len(keys)
                stats.keys_sent += keys
                stats.lost_claim += len(ids) - len(keys)
        return _Recorded(outcomes=outcomes, stats=stats, notices=notices)

    # -- sending --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Start every send whose time has come, whose target is free and whose slot is."""
        now = time.monotonic()
        while self._timeline and self._timeline[0][0] <= now:
            _, _, item = heapq.heappop(self._timeline)
            self.platforms[item.target.platform].owned.append(item)
        for platform in self.platforms.values():
            while platform.in_flight < self.workers and (platform.owned or platform.ready):
                source = platform.owned or platform.ready
                item = source[0]
                paced = platform.paced
                if paced is not None:
                    # The whole group is held back by its rate: nothing of it can go yet.
                    wait = paced.group_wait(item.target)
                    if wait > 0:
                        platform.not_before = now + wait
                        break
                source.popleft()
                if source is platform.ready:
                    target = _target_key(item)
                    if target in self._busy:
                        self._busy[target].append(item)
                        continue
                    self._busy[target] = deque()
                if paced is not None:
                    wait = paced.try_acquire(item.target)
                    if wait > 0:  # the target's own spacing; it keeps the target meanwhile
                        heapq.heappush(
                            self._timeline, (time.monotonic() + wait, next(self._seq), item)
                        )
                        continue
                self._start(platform, item)

    def _start(self, platform: _Platform, item: Claimed) -> None:
        assert item.message is not None
        platform.in_flight += 1
        sender = platform.sender
        future: asyncio.Future[None]
        if platform.pool is None:
            future = asyncio.ensure_future(
                cast(AsyncMessenger, sender).send_async(
                    item.target, item.message, key=item.key, resend=item.resend
                )
            )
        else:
            future = asyncio.get_running_loop().run_in_executor(
                platform.pool,
                functools.partial(
                    sender.send, item.target, item.message, key=item.key, resend=item.resend
                ),
            )
        future.add_done_callback(functools.partial(self._finish, item))

    def _finish(self, item: Claimed, future: asyncio.Future[None]) -> None:
        self._done.append((item, future))
        _wake(self._waiter)

    async def _collect(self) -> None:
        """Wait for a finished send or job (or the next timed send); take every finished send."""
        if not self._done and not (self._job is not None and self._job.done()):
            timeout = IDLE_WAIT
            wake = [p.not_before for p in self.platforms.values() if p.ready or p.owned]
            if self._timeline:
                wake.append(self._timeline[0][0])
            if wake:
                timeout = min(timeout, max(0.0, min(wake) - time.monotonic()))
            if self._outcomes and self._job is None:
                timeout = min(timeout, max(0.0, self._oldest + FLUSH_SECONDS - time.monotonic()))
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _wake, self._waiter)
            try:
                await self._waiter
            finally:
                timer.cancel()
                self._waiter = None
        while self._done:
            item, future = self._done.popleft()
            error = future.exception()  # a DeliveryError is an outcome; anything else a bug
            if error is not None and not isinstance(error, DeliveryError):
                raise error
            self.platforms[item.target.platform].in_flight -= 1
            if not self._outcomes:
                self._oldest = time.monotonic()
            self._outcomes.append(_Outcome(item, error))
            # The target passes to the next of its waiting sends, if any.
            target = _target_key(item)
            waiting = self._busy[target]
            if waiting:
                self.platforms[item.target.platform].owned.append(waiting.popleft())
            else:
                del self._busy[target]


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _target_key(item: Claimed) -> str:
    return f"{item.target.platform}:{slot_keys(item.target)[0]}"


def deliver_due(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    *,
    worker: str,
    now: datetime,
    lease: timedelta = LEASE,
    workers: int = DEFAULT_WORKERS,
) -> DeliveryStats:
    """Claim and send until nothing due is left for the platforms of `messengers`."""
    if not messengers:
        return DeliveryStats()
    return Dispatcher(
        factory, messengers, worker=worker, now=now, lease=lease, workers=workers
    ).run()
