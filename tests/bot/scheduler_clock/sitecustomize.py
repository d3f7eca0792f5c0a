"""The scheduler's clock of a real `hokoku serve` started by tests.bot.serving.Serve.

This folder goes on the subprocess's PYTHONPATH, so Python runs this file at start in the
`serve` process and in every worker uvicorn spawns (they inherit the environment). With
HOKOKU_TEST_SCHEDULER_NOW set (an ISO moment with its offset), the scheduler's clock
starts there and runs on at the real pace.

Why: the scheduler sends only in the office's send window (a business day, after the
send time, Tokyo time), so a test or benchmark run at night, on a weekend or over 年末年始
would plan nothing and wait in vain. Only the scheduler's clock moves: request
signatures, cookies, timeouts and the database keep the real time.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

_START = os.environ.get("HOKOKU_TEST_SCHEDULER_NOW")

if _START:
    from scheduler import runner

    _origin = datetime.fromisoformat(_START)
    _began = time.monotonic()

    def _now(self: runner.SystemClock) -> datetime:
        return _origin + timedelta(seconds=time.monotonic() - _began)

    runner.SystemClock.now = _now  # type: ignore[method-assign]
