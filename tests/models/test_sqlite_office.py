"""SQLite holds a real office: one `hokoku serve` plus CLI commands at the same time.

WAL lets readers and the writer work side by side, `BEGIN IMMEDIATE` makes writers queue
for the lock up front (no "database is locked" half-way through a transaction), and a
file that stays locked past the busy timeout is one Japanese line, never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bot.runtime import Runtime
from bot.server import build_app
from models.db import make_engine, make_session_factory, upgrade
from tests.asgi_server import running_asgi
from tests.bot.deliveries import answers_for, both_platforms, seed_office, stored_comments
from tests.conftest import Db
from tests.fakes.line_api import running_fake_line_api
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Db:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    engine = make_engine(url)
    upgrade(engine)
    return Db(url=url, engine=engine, factory=make_session_factory(engine))


def hokoku(db: Db, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("HOKOKU_", "SLACK_", "LINE_"))
    }
    environment.update({"HOKOKU_DATABASE_URL": db.url, **env})
    return subprocess.run(
        [str(Path(sys.executable).parent / "hokoku"), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wal_mode_is_on(sqlite_db: Db) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_serve_and_cli_at_the_same_time_lose_and_refuse_nothing(
    sqlite_db: Db, tmp_path: Path
) -> None:
    office = seed_office(sqlite_db)
    answers = list(answers_for(office, 200))
    fake_slack = FakeSlackApi().start()
    try:
        with running_fake_line_api() as line_api:
            settings = both_platforms(
                sqlite_db, slack_api_url=fake_slack.url, line_api_url=line_api.url
            )
            engine = make_engine(sqlite_db.url, settings.pool(serving=True))  # what serve uses
            runtime = Runtime(
                settings=settings,
                engine=engine,
                factory=make_session_factory(engine),
                organization_id=office.organization_id,
            )
            with (
                running_asgi(build_app(settings, runtime)) as url,
                httpx.Client(base_url=url, timeout=60) as http,
                ThreadPoolExecutor(17) as pool,
            ):
                sent = [pool.submit(d.send, http) for d in answers]
                # Meanwhile the office works on the same file from the command line.
                cli = [
                    hokoku(sqlite_db, *args, cwd=tmp_path)
                    for args in [
                        (
                            "report",
                            "set",
                            "--dept",
                            "課1",
                            "--item",
                            "1",
                            "--grade",
                            "A",
                            "--comment",
                            "紙の回答",
                        ),
                        ("status", "--json"),
                        (
                            "report",
                            "set",
                            "--dept",
                            "課2",
                            "--item",
                            "6",
                            "--grade",
                            "C",
                            "--comment",
                            "郵送分",
                        ),
                        ("status",),
                    ]
                ]
                statuses = Counter(f.result().status_code for f in sent)
            engine.dispose()
    finally:
        fake_slack.stop()

    assert [c.returncode for c in cli] == [0, 0, 0, 0], [c.stderr for c in cli]
    assert statuses == Counter({200: len(answers)})
    stored = Counter(stored_comments(sqlite_db))
    assert {d.comment for d in answers} | {"紙の回答", "郵送分"} == set(stored)
    assert max(stored.values()) == 1


def test_a_file_locked_past_the_busy_timeout_is_one_japanese_line(
    sqlite_db: Db, tmp_path: Path
) -> None:
    seed_office(sqlite_db, departments=1, items_each=1, people_each=1)
    locker = sqlite3.connect(sqlite_db.url.removeprefix("sqlite:///"), isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock and keeps it
    try:
        result = hokoku(
            sqlite_db,
            *("report", "set", "--dept", "課1", "--item", "1", "--grade", "B"),
            cwd=tmp_path,
            HOKOKU_SQLITE_BUSY_TIMEOUT="0.3",
        )
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert result.returncode == 1
    assert "データベースが他の処理で使用中です" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
