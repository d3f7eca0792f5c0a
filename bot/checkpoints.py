"""SQLite's WAL checkpointed by a thread of the server, not by the commit of an answer.

SQLite copies its write-ahead log into the database file (a checkpoint, with an fsync) in
the commit that fills it past `wal_autocheckpoint` pages: that ack waited for it, every
~100 DM answers. The server's connections checkpoint themselves only past a far larger
WAL (models.db.SERVING_WAL_PAGES, a backstop), and this thread checkpoints every second
without waiting for readers or the writer (PASSIVE), beside the requests. Only for a
SQLite file; started and stopped with the server (a BackgroundService of bot.server).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from models.db import checkpoint_wal, sqlite_path

logger = logging.getLogger(__name__)

EVERY_SECONDS = 1.0


def wanted(engine: Engine) -> bool:
    """A SQLite file: the only kind of database with a WAL to checkpoint here."""
    return sqlite_path(str(engine.url)) is not None


class WalCheckpoints:
    """Checkpoint SQLite's WAL every `every` seconds, and once more when stopped."""

    name = "sqlite-checkpoints"

    def __init__(self, engine: Engine, *, every: float = EVERY_SECONDS) -> None:
        self._engine = engine
        self._every = every
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
        except DBAPIError as exc:
            logger.warning("SQLite checkpoint failed, tried again in a second: %s", exc.orig)
            return None

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            self.checkpoint()
