"""The server keeps SQLite up from a thread of its own: it checkpoints the WAL (an answer's
commit does not: it waited for the copy and its fsync, every ~100 DM answers) and refreshes
the query planner's statistics (without them a DM answer read every slot of the round)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from bot.runtime import open_runtime
from bot.server import build_app
from bot.settings import Settings
from bot.sqlite_upkeep import SqliteUpkeep, wanted
from handlers.reporting.reports import _lock_slots
from models.db import (
    SERVING_WAL_PAGES,
    SQLITE_WAL_PAGES,
    checkpoint_wal,
    make_engine,
    make_session_factory,
    transaction,
    upgrade,
)
from tests.asgi_server import running_asgi
from tests.factories import build_plan, open_test_round

ROW = "報告" * 500  # 3 KB of UTF-8


def serving_engine(path: Path) -> Engine:
    url = f"sqlite:///{path}"
    engine = make_engine(url, Settings(database_url=url).pool(serving=True))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE answers (comment TEXT)"))
    checkpoint_wal(engine)  # the table itself is in the file
    return engine


def write(engine: Engine, *, commits: int) -> None:
    for _ in range(commits):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO answers (comment) VALUES (:c)"), [{"c": ROW}] * 4)


def test_a_serving_commit_leaves_the_wal_to_the_server_and_the_cli_keeps_sqlites_default(
    tmp_path: Path,
) -> None:
    engine = serving_engine(tmp_path / "office.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SERVING_WAL_PAGES
    before = (tmp_path / "office.db").stat().st_size
    write(engine, commits=400)  # ~1,600 pages: past SQLite's default of 1,000
    assert (tmp_path / "office.db").stat().st_size == before  # no commit checkpointed
    pages = checkpoint_wal(engine)
    assert pages is not None and pages[0] > SQLITE_WAL_PAGES and pages[1] == pages[0]
    assert (tmp_path / "office.db").stat().st_size > before + 4_000_000
    cli = make_engine(f"sqlite:///{tmp_path / 'office.db'}")
    with cli.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SQLITE_WAL_PAGES


def test_the_servers_thread_checkpoints_while_answers_come_in_and_when_it_stops(
    tmp_path: Path,
) -> None:
    engine = serving_engine(tmp_path / "office.db")
    assert wanted(engine)
    size = (tmp_path / "office.db").stat().st_size
    service = SqliteUpkeep(engine, every=0.05)
    service.start()
    try:
        write(engine, commits=100)
        deadline = time.monotonic() + 10
        while (tmp_path / "office.db").stat().st_size == size and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "office.db").stat().st_size > size  # copied by the thread
    finally:
        service.stop()
    write(engine, commits=50)
    size = (tmp_path / "office.db").stat().st_size
    service.stop()  # stopping checkpoints once more (here without a thread)
    assert (tmp_path / "office.db").stat().st_size > size


def test_only_a_sqlite_file_has_a_wal_to_checkpoint() -> None:
    assert not wanted(make_engine("sqlite://"))
    assert checkpoint_wal(make_engine("sqlite://")) is None
    assert not wanted(make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test"))


def test_the_server_checkpoints_while_it_runs(tmp_path: Path) -> None:
    """`hokoku serve` on a SQLite file runs the thread with its lifespan."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    runtime = open_runtime(Settings(database_url=url), serving=True)
    try:
        with running_asgi(build_app(runtime.settings, runtime)) as base:
            assert httpx.get(f"{base}/healthz").status_code == 200
            assert "sqlite-upkeep" in {thread.name for thread in threading.enumerate()}
        assert "sqlite-upkeep" not in {thread.name for thread in threading.enumerate()}
    finally:
        runtime.close()


def test_with_statistics_a_departments_slots_are_found_through_its_assignments(
    tmp_path: Path,
) -> None:
    """Without statistics SQLite reads the whole round to lock one department's slots."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    engine = make_engine(url, Settings(database_url=url).pool(serving=True))
    upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        plan = build_plan(session, items=[(f"取組{n}", [f"課{n % 20:02d}"]) for n in range(1, 201)])
        open_test_round(session, plan)
    statement = str(_lock_slots(1).compile(engine))

    def plan_of() -> str:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", (1, 1, "k")).all()
        return " / ".join(row[3] for row in rows)

    assert "reports USING INDEX ix_reports_round_id" in plan_of()  # every slot of the round
    assert SqliteUpkeep(engine).analyze()
    found = plan_of()
    assert "assignments USING INDEX ix_assignments_department_id" in found, found
    assert "reports USING INDEX sqlite_autoindex_reports_1" in found, found
