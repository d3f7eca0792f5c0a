"""Engine and session factory, transactions that retry when the database is busy, and the
schema brought up to date with Alembic.

The schema is only ever created by migrations (`upgrade`), never by `create_all`.

SQLite is the embedded default and must hold a real office: one `hokoku serve` (with its
scheduler) plus CLI commands at the same time. So it runs in WAL mode (readers and the one
writer do not block each other). A session of the writer factory starts its transaction
with `BEGIN IMMEDIATE` at its first statement, even if it then only reads: it takes the
write lock up front instead of failing half-way with "database is locked" when a deferred
transaction later needs to write (SQLAlchemy's documented pysqlite recipe), and holds it
until commit or rollback. Writers of one process queue for it in order (`QueueLock`), other
processes wait `busy_timeout`, and `run_transaction` retries a unit of work a bounded number
of times.

A commit that fills the WAL past `wal_autocheckpoint` pages copies it into the database
file, with an fsync, before it returns: every ~100 DM answers (~40 form pages) one ack
waited several milliseconds for it. A server's connections leave that to a thread of its
own (`checkpoint_wal`, every second: `bot.sqlite_upkeep`) and checkpoint themselves only past
SERVING_WAL_PAGES, should that thread fall behind.

Work that only reads uses the read-only factory (`make_session_factory(read_only=True)`, a
Runtime's `reader`): its transaction begins DEFERRED and never takes the write lock, so the
CLI's status, export, chart, lists, history and audit (bot.cli.sessions.reading) and the
chat's forms and Home tab never hold up an answer being stored. On PostgreSQL both
factories are the same.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "hokoku_read_only"  # execution option: begin a DEFERRED transaction on SQLite
SERVING_SQLITE_BUSY_SECONDS = 1.0
SQLITE_WAL_PAGES = 1000  # SQLite's own default
SERVING_WAL_PAGES = 10_000  # ~40 MB: a backstop when the server's checkpoints are late
T = TypeVar("T")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (absolute), None for other backends and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def masked_url(url: str) -> str:
    """The URL to show people: the password replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class PoolSettings:
    """How many connections a process may hold, and how long a caller waits for one.

    `timeout` is short for the server (a saturated pool answers 503 at once and the
    platform retries) and long for the CLI (which simply waits its turn).
    """

    size: int = 10
    overflow: int = 5
    timeout: float = 30.0
    sqlite_busy_seconds: float = 5.0
    pg_lock_timeout_ms: int = 0  # 0 = wait for row locks as long as needed
    sqlite_wal_pages: int = SQLITE_WAL_PAGES  # a commit past this many checkpoints itself


class DatabaseBusy(Exception):
    """The database stayed locked, or no connection was free, past the retries."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached (stopped, restarting, network)."""


class QueueLock:
    """A lock taken in the order it was asked for (threading.Lock is not: a thread that has
    just released it usually takes it again before the waiters wake, so under load a
    writer can wait until its timeout while later ones pass it)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by release
        with self._guard:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # release handed it over just as the wait timed out

    def release(self) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()  # the next in line holds it now
            else:
                self._held = False


def make_engine(url: str, pool: PoolSettings | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, BEGIN IMMEDIATE and a busy timeout."""
    pool = pool or PoolSettings()
    if url.startswith("sqlite"):
        in_memory = url in {"sqlite://", "sqlite:///:memory:"}
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", pool.sqlite_busy_seconds)
        if not in_memory:
            kwargs.setdefault("pool_size", pool.size)
            kwargs.setdefault("max_overflow", pool.overflow)
            kwargs.setdefault("pool_timeout", pool.timeout)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN until the first write, so a
            # SAVEPOINT issued before any write becomes the outermost transaction and its
            # RELEASE commits. Let SQLAlchemy emit BEGIN itself (SQLAlchemy's pysqlite recipe).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL at each checkpoint
                cursor.execute(f"PRAGMA wal_autocheckpoint={int(pool.sqlite_wal_pages)}")
            cursor.close()

        # SQLite has one writer. Writers of this process queue on a lock, in order, instead
        # of polling the file (its busy handler sleeps and retries, and a writer can lose
        # that race again and again under load); other processes still meet busy_timeout.
        writer = QueueLock()
        holding = "hokoku_holds_writer_lock"

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY, False):
                conn.exec_driver_sql("BEGIN")
                return
            if not writer.acquire(timeout=pool.sqlite_busy_seconds + pool.timeout):
                raise DatabaseBusy("another writer of this process holds the database")
            conn.info[holding] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _release(conn)  # unless the failed BEGIN's rollback already did
                raise

        def _release(conn: Any) -> None:
            if conn.info.pop(holding, False):
                writer.release()

        def _commit_then_release(conn: Any) -> None:
            # SQLAlchemy's "commit" event comes before the COMMIT itself: the next writer,
            # handed the lock then, would find the file still locked and sleep in SQLite's
            # busy handler (1 ms and more) while holding everyone's turn. Commit here, then
            # hand over; the dialect's own commit that follows finds nothing to commit.
            if conn.info.get(holding, False):
                try:
                    conn.connection.dbapi_connection.commit()
                finally:
                    _release(conn)

        event.listen(engine, "commit", _commit_then_release)
        event.listen(engine, "rollback", _release)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", pool.size)
    kwargs.setdefault("max_overflow", pool.overflow)
    kwargs.setdefault("pool_timeout", pool.timeout)
    if pool.pg_lock_timeout_ms and url.startswith("postgresql"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("options", f"-c lock_timeout={pool.pg_lock_timeout_ms}")
        kwargs["connect_args"] = connect_args
    return create_engine(url, **kwargs)


def checkpoint_wal(engine: Engine) -> tuple[int, int] | None:
    """Copy what SQLite's WAL holds into the database file, without waiting for readers or
    the writer (PASSIVE: what they still need is copied next time). Returns the WAL's pages
    and how many of them are now copied; None when this is not a SQLite file in WAL mode.

    On a connection of its own, outside any transaction: not one of the pool's (a pool
    that requests have taken whole must not stop the checkpoints, and a checkpoint must not
    take a request's connection), no BEGIN, no writer's turn taken."""
    path = sqlite_path(str(engine.url))
    if path is None:
        return None
    with closing(sqlite3.connect(path, timeout=SERVING_SQLITE_BUSY_SECONDS)) as conn:
        row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    if row is None or row[1] < 0:  # (busy, log pages, checkpointed pages); -1: not WAL
        return None
    return int(row[1]), int(row[2])


def analyze_sqlite(engine: Engine, *, rows: int = 1000) -> None:
    """Refresh SQLite's query-planner statistics (`ANALYZE`, reading at most about `rows`
    rows of each index: a bounded cost however large the file). A write transaction: it
    takes the writer's turn like any other."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={int(rows)}")
        conn.exec_driver_sql("ANALYZE")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    A database that stays locked or cannot be reached surfaces as DatabaseBusy or
    DatabaseUnavailable, which every entry point turns into one clear line or a 503.
    """
    try:
        with factory() as session, session.begin():
            yield session
    except (DBAPIError, PoolTimeout) as exc:
        translated = database_error(exc)
        if translated is None:
            raise
        raise translated from exc


def database_error(exc: DBAPIError | PoolTimeout) -> DatabaseBusy | DatabaseUnavailable | None:
    """The database-level meaning of a driver error, if it has one (else it is a bug)."""
    reason = str(getattr(exc, "orig", None) or exc)
    if is_busy(exc):
        return DatabaseBusy(reason)
    if is_unavailable(exc):
        return DatabaseUnavailable(reason)
    return None


# SQLSTATEs worth running the whole unit of work again for (PostgreSQL):
# serialization failure, deadlock victim, lock_timeout expired.
_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}


def is_busy(exc: BaseException) -> bool:
    """The database was there but locked or out of connections: retrying may succeed."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and (
        "database is locked" in message or "database is busy" in message
    )


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached at all (stopped, restarting, refused, file gone)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError) or is_busy(exc):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:  # PostgreSQL: connection exceptions and server shutdown
        return sqlstate.startswith(("08", "57P"))
    message = str(exc.orig).lower()
    return any(
        sign in message
        for sign in ("connection", "server closed", "unable to open database", "disk i/o error")
    )


def run_transaction(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = 3,
    backoff: float = 0.05,
) -> T:
    """Run `work` in one transaction; when the database is busy, run it again (bounded).

    `work` must be safe to run again: everything it wrote was rolled back with the failed
    attempt. Raises DatabaseBusy after the last attempt and DatabaseUnavailable when the
    database cannot be reached, so entry points answer with one clear line or a 503.
    """
    attempt = 1
    while True:
        try:
            with transaction(factory) as session:
                return work(session)
        except DatabaseBusy:
            if attempt >= attempts:
                raise
            logger.info("database busy (attempt %d/%d); retrying", attempt, attempts)
            time.sleep(backoff * attempt)
            attempt += 1


def reachable(engine: Engine) -> bool:
    """Does the database answer `SELECT 1` now (the health check)?"""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, PoolTimeout):
        return False
    return True


def alembic_config(engine: Engine) -> Config:
    # Alembic (with Mako behind it) is imported only when migrations are read or run.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision (a read: it never waits for SQLite's writer)."""
    from alembic.runtime.migration import MigrationContext

    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def newest_migration() -> str:
    """The head revision without Alembic: the chain is numbered, `versions/NNNN_name.py`
    declares revision "NNNN", so the newest file names the head (tests check they agree)."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


def stored_revision(engine: Engine) -> str | None:
    """The revision in `alembic_version`, read with one plain query (no Alembic import)."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (what `hokoku db upgrade` runs)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> bool:
    """Upgrade when the database is behind; returns True if migrations ran.

    Every command start comes through here, so the up-to-date case costs one small query
    and a directory listing; Alembic itself is loaded only when there is something to do
    (a new database, a newer hokoku)."""
    if stored_revision(engine) == newest_migration():
        return False
    if current_revision(engine) == head_revision(engine):
        return False
    upgrade(engine)
    return True
