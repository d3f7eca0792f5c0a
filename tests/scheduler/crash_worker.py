"""A scheduler process for the process tests.

`python -m tests.scheduler.crash_worker DB RECORDER_URL NOW [WORKER [START_AT_EPOCH]]`: one
tick at NOW delivering LINE messages to the HTTP recorder. START_AT lines several processes
up on the same moment (process start-up takes a second or so).
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from models.db import make_engine, make_session_factory
from scheduler.calendar import BusinessCalendar
from scheduler.runner import tick
from tests.scheduler.http_recorder import RecorderMessenger


def main() -> None:
    database_url, recorder_url, now = sys.argv[1:4]
    worker = sys.argv[4] if len(sys.argv) > 4 else "doomed"
    if len(sys.argv) > 5:
        time.sleep(max(0.0, float(sys.argv[5]) - time.time()))
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    tick(
        factory,
        {"line": RecorderMessenger(recorder_url)},
        datetime.fromisoformat(now),
        calendar=BusinessCalendar(),
        worker=worker,
    )


if __name__ == "__main__":
    main()
