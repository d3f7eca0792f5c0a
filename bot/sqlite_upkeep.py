"""SQLite's upkeep, done by a thread of the server instead of by the answers' requests.

- The WAL, checkpointed every second. SQLite copies its write-ahead log into the database
  file (with an fsync) in the commit that fills it past `wal_autocheckpoint` pages: that
  ack waited for it, every ~100 DM answers. The server's connections checkpoint themselves
  only past a far larger WAL (models.db.SERVING_WAL_PAGES, a backstop); this thread
  checkpoints without waiting for readers or the writer (PASSIVE), beside the requests.
- The query planner's statistics, refreshed when the server starts and every hour
  (`ANALYZE`, bounded). Without them SQLite locked a DM answer's slots by reading every
  slot of the round (its index on the round) instead of the department's few (its
  assignments, then the round's slot of each).

Only for a SQLite file; started and stopped with the server (a BackgroundService of
bot.server).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models.db import DatabaseBusy, analyze_sqlite, checkpoint_wal, sqlite_path

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY_SECONDS = 1.0
ANALYZE_EVERY_SECONDS = 3600.0
ANALYZE_AGAIN_SECONDS = 60.0  # after the database was busy


def wanted(engine: Engine) -> bool:
    """A SQLite file: the only kind of database this upkeep is for."""
    return sqlite_path(str(engine.url)) is not None


class SqliteUpkeep:
    """Checkpoint SQLite's WAL every `every` seconds (and once more when stopped); refresh
    the planner's statistics at the start and every `analyze_every` seconds."""

    name = "sqlite-upkeep"

    def __init__(
        self,
        engine: Engine,
        *,
        every: float = CHECKPOINT_EVERY_SECONDS,
        analyze_every: float = ANALYZE_EVERY_SECONDS,
    ) -> None:
        self._engine = engine
        self._every = every
        self._analyze_every = analyze_every
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.checkpoint()

    def checkpoint(self) -> tuple[int, int] | None:
        """One checkpoint: the WAL's pages and how many are copied (None: it failed, and
        the next one copies them; a failure is logged, never raised into the server)."""
        try:
            return checkpoint_wal(self._engine)
        except sqlite3.Error as exc:
            logger.warning("SQLite checkpoint failed, tried again in a second: %s", exc)
            return None

    def analyze(self) -> bool:
        """Refresh the statistics (False: the database was busy or failed; logged, and
        tried again at the next turn)."""
        try:
            analyze_sqlite(self._engine)
        except (DBAPIError, DatabaseBusy, PoolTimeout) as exc:
            logger.warning("SQLite statistics not refreshed now: %s", exc)
            return False
        return True

    def _run(self) -> None:
        next_analyze = time.monotonic()
        while True:
            if time.monotonic() >= next_analyze:
                wait = self._analyze_every if self.analyze() else ANALYZE_AGAIN_SECONDS
                next_analyze = time.monotonic() + wait
            if self._stopping.wait(self._every):
                return
            self.checkpoint()
