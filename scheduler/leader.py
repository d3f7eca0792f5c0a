"""One ticking scheduler among every process that shares the database: the leader lock.

`hokoku serve --workers N` starts a scheduler in each worker, and a host may run several
`hokoku serve` (replicas on several machines) and `hokoku scheduler` processes against one
PostgreSQL. Correctness never depended on there being one: the outbox plans each message
into one row and claims it for one sender (scheduler.outbox), so two schedulers never
send a message twice. But every tick plans the whole round, so N schedulers would do N
times the work for nothing. Only the holder of this lock ticks; the others stand by.

On PostgreSQL the lock is a session-level advisory lock (`pg_try_advisory_lock`) on a
connection of its own, outside the pool, kept open while the process leads. It is
released when the process stops or dies (PostgreSQL ends the session with the
connection), and a standby takes it at its next tick, so the scheduler is back within
one interval. One lock per organization: schedulers of different organizations on one
database each lead their own. Each tick the leader checks its connection; a leader that
lost it (the database restarted) stands down and competes again.

SQLite serves one process (`hokoku serve` refuses `--workers` there): the lock is always
held.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

# The first key of the two-integer advisory lock: "hokoku scheduler" (the second is the
# organization). Other advisory locks of hokoku, if any, take other first keys.
LOCK_CLASS = 0x686B_7363  # "hksc"


class LeaderLock:
    """`held()` is True in exactly one process per organization and database (PostgreSQL)."""

    def __init__(self, engine: Engine, *, organization_id: int) -> None:
        self.organization_id = organization_id
        self.shared = engine.dialect.name == "postgresql"
        # Its own engine without a pool: the lock's connection never takes a place of the
        # request pool, and closing it really ends the session.
        self._engine = (
            create_engine(engine.url, poolclass=NullPool, pool_pre_ping=False)
            if self.shared
            else None
        )
        self._conn: Connection | None = None
        self._mutex = threading.Lock()

    def held(self) -> bool:
        """Whether this process leads now: keeps the lock, or tries to take it."""
        if self._engine is None:
            return True
        with self._mutex:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT 1")).scalar_one()
                    self._conn.commit()
                    return True
                except DBAPIError as exc:
                    logger.warning("scheduler leader lock lost with its connection: %s", exc)
                    self._drop()
            try:
                conn = self._engine.connect()
            except DBAPIError as exc:
                logger.warning("scheduler leader lock: database not reachable: %s", exc)
                return False
            try:
                got = bool(
                    conn.execute(
                        text("SELECT pg_try_advisory_lock(:cls, :org)"),
                        {"cls": LOCK_CLASS, "org": self.organization_id},
                    ).scalar_one()
                )
                conn.commit()  # the lock is the session's, not the transaction's
            except DBAPIError as exc:
                logger.warning("scheduler leader lock not taken: %s", exc)
                conn.close()
                return False
            if not got:
                conn.close()
                return False
            self._conn = conn
            logger.info("this process now runs the scheduler (leader lock taken)")
            return True

    def release(self) -> None:
        """Stand down (stop of the process): the lock goes with the session."""
        with self._mutex:
            self._drop()
            if self._engine is not None:
                self._engine.dispose()

    def _drop(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(DBAPIError):
            self._conn.close()  # ends the session: PostgreSQL releases its advisory locks
        self._conn = None
