"""A scheduler process for the kill -9 test: `python -m tests.scheduler.crash_worker DB URL NOW`."""

from __future__ import annotations

import sys
from datetime import datetime

from models.db import make_engine, make_session_factory
from scheduler.calendar import BusinessCalendar
from scheduler.runner import tick
from tests.scheduler.http_recorder import RecorderMessenger


def main() -> None:
    database_url, recorder_url, now = sys.argv[1:4]
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    tick(
        factory,
        {"line": RecorderMessenger(recorder_url)},
        datetime.fromisoformat(now),
        calendar=BusinessCalendar(),
        worker="doomed",
    )


if __name__ == "__main__":
    main()
