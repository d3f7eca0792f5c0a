"""`hokoku serve --workers N` and several `hokoku serve` against one database.

On PostgreSQL: real `hokoku serve --workers 2` processes (subprocesses, Slack and LINE
against the fake APIs): requests are answered by two worker pids, replayed answers are
stored once, and of all the schedulers in all the workers of two separate `serve`
processes (two machines) one ticks at a time, so each message is sent once; when its
process stops, another takes over. On SQLite, `--workers` is refused in one clear line.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from bot.cli import app
from bot.line.client import retry_key
from bot.runtime import open_runtime
from bot.settings import Settings
from models import Notification
from models.db import transaction
from models.outbox import STATUS_CLAIMED, STATUS_PENDING, STATUS_SENT
from scheduler.leader import LeaderLock
from tests.bot.deliveries import (
    answers_for,
    seed_office,
    stored_comments,
)
from tests.bot.serving import SECRET, Serve, sent_keys, workers_of
from tests.conftest import Db
from tests.fakes.line_api import FakeLineApi
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def serves(
    db: Db, fake_slack: FakeSlackApi, line_api: FakeLineApi, tmp_path: Path
) -> Iterator[list[Serve]]:
    if db.url.startswith("sqlite"):
        pytest.skip("SQLite serves one process: --workers is refused (tested below)")
    started: list[Serve] = []

    yield started
    for serve in started:
        serve.stop()
        serve.kill_group()


def outbox(db: Db) -> Counter[str]:
    with transaction(db.factory) as session:
        return Counter(session.scalars(select(Notification.status)))


def wait_until_sent(db: Db, timeout: float = 60) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = outbox(db)
        if statuses[STATUS_SENT] and not statuses[STATUS_PENDING] + statuses[STATUS_CLAIMED]:
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"the outbox did not drain: {outbox(db)}")


def test_two_serve_processes_with_two_workers_each(
    db: Db,
    fake_slack: FakeSlackApi,
    line_api: FakeLineApi,
    tmp_path: Path,
    serves: list[Serve],
) -> None:
    office = seed_office(db)
    # Two machines: two `hokoku serve --workers 2` on one PostgreSQL, started together, so
    # four schedulers reach the first tick (the round's messages all due) at once.
    one = Serve(db.url, fake_slack, line_api, tmp_path, workers=2).start()
    two = Serve(db.url, fake_slack, line_api, tmp_path, workers=2).start()
    serves += [one, two]
    one.wait_healthy()
    two.wait_healthy()

    # Requests are taken by both workers of a process (each pid is a worker, not the parent).
    for serve in (one, two):
        assert serve.proc is not None
        pids = set(workers_of(serve))
        assert len(pids) == 2 and serve.proc.pid not in pids, (pids, serve.proc.pid)

    # Answers split between the two processes, each delivered one to three times: stored once.
    originals = list(answers_for(office, 120))
    rng = random.Random(21)
    deliveries = [
        d for d in originals for d in [d, d.again(), d.again().again()][: rng.randint(1, 3)]
    ]
    rng.shuffle(deliveries)
    with (
        httpx.Client(base_url=one.url, timeout=60) as a,
        httpx.Client(base_url=two.url, timeout=60) as b,
        ThreadPoolExecutor(16) as pool,
    ):
        statuses = Counter(
            pool.map(
                lambda n: deliveries[n].send((a, b)[n % 2]).status_code, range(len(deliveries))
            )
        )
    assert statuses == Counter({200: len(deliveries)})
    stored = Counter(stored_comments(db))
    assert set(stored) == {d.comment for d in originals} and max(stored.values()) == 1

    # The round's messages (chases of an overdue round): each asked of the platform once.
    drained = wait_until_sent(db)
    keys = sent_keys(fake_slack, line_api)
    assert keys and Counter(keys).most_common(1)[0][1] == 1, Counter(keys).most_common(3)
    with transaction(db.factory) as session:
        rows = session.scalars(select(Notification).where(Notification.status == STATUS_SENT))
        expected = [r.key if r.platform == "slack" else retry_key(r.key) for r in rows]
    assert sorted(keys) == sorted(expected)
    assert drained[STATUS_SENT] == len(keys)

    # One leader among the four workers of the two processes; the others stand by.
    leaders = {
        (serve.port, pid)
        for serve in (one, two)
        for pid, body in workers_of(serve).items()
        if body["scheduler"]["leader"]
    }
    assert len(leaders) == 1, leaders
    (leading_port, _pid) = leaders.pop()
    leading, standing = (one, two) if leading_port == one.port else (two, one)

    # Its machine stops: a worker of the other process takes the lead within a few ticks.
    output = leading.stop()
    assert leading.proc is not None and leading.proc.returncode == 0, output
    assert "Traceback" not in output, output
    deadline = time.monotonic() + 30
    while not any(body["scheduler"]["leader"] for body in workers_of(standing).values()):
        assert time.monotonic() < deadline, standing.output()
        time.sleep(0.5)
    assert Counter(sent_keys(fake_slack, line_api)).most_common(1)[0][1] == 1


def test_leader_lock_is_held_by_one_process_per_organization(db: Db) -> None:
    """Separate engines (separate sessions, as separate processes have): PostgreSQL lets one
    hold the lock at a time and hands it on when the holder releases it; SQLite (one
    process) always leads."""
    engines = [create_engine(db.url) for _ in range(3)]
    first = LeaderLock(engines[0], organization_id=1)
    second = LeaderLock(engines[1], organization_id=1)
    other_org = LeaderLock(engines[2], organization_id=2)
    try:
        assert first.held() and first.held()  # kept while held
        assert other_org.held()  # another organization leads its own scheduler
        if db.url.startswith("sqlite"):
            assert second.held()
            return
        assert not second.held()
        first.release()
        assert second.held() and not first.held()
        # The holder's session ends without a release (its process died): the lock goes too.
        assert second._conn is not None
        pid = second._conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        second._conn.commit()
        with engines[0].connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        deadline = time.monotonic() + 10  # the terminated backend ends a moment later
        while not first.held():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not second.held()  # the old leader finds its session gone and stands by
    finally:
        for lock in (first, second, other_org):
            lock.release()
        for engine in engines:
            engine.dispose()


class Lines:
    """The output of a process, line by line, waited for with a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        with self.cond:
            found = self.cond.wait_for(
                lambda: any(text in line for line in self.lines), timeout=timeout
            )
            assert found, f"{text!r} not in {self.lines}"


def test_a_second_hokoku_scheduler_stands_by_and_takes_over(db: Db, tmp_path: Path) -> None:
    """Two `hokoku scheduler` processes on one PostgreSQL: the first runs the sends, the
    second says it stands by, and takes over when the first is stopped. (SQLite: one
    process, nothing to elect.)"""
    if db.url.startswith("sqlite"):
        pytest.skip("SQLite serves one process: the lock is always held (tested above)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "HOKOKU_", "SLACK_"))}
    env.update({"HOKOKU_DATABASE_URL": db.url, "HOKOKU_LANGUAGE": "en", "COLUMNS": "400"})
    hokoku = str(Path(sys.executable).parent / "hokoku")
    procs: list[subprocess.Popen[str]] = []
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [hokoku, "scheduler", "--interval", "1"],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
            if len(procs) == 1:
                first = Lines(procs[0])
                first.wait_for("This scheduler runs the sends now")
        second = Lines(procs[1])
        second.wait_for("this one stands by")
        procs[0].send_signal(signal.SIGTERM)
        assert procs[0].wait(timeout=30) == 0
        second.wait_for("This scheduler runs the sends now")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    assert not any("Traceback" in line for line in first.lines + second.lines)


def test_replicas_starting_together_find_one_organization(db: Db) -> None:
    """Replicas (or workers) open the runtime at the same moment on a database without the
    organization yet: one creates it, the others find it; none fails."""
    name = f"同時に起動{random.randrange(10**6)}"
    barrier = threading.Barrier(4)

    def start() -> int:
        barrier.wait()
        runtime = open_runtime(Settings(database_url=db.url, organization=name), migrate=False)
        runtime.close()
        return runtime.organization_id

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda _: start(), range(4)))
    assert len(set(ids)) == 1


def refused(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["serve", *args], env=env)
    return result.exit_code, result.output


@pytest.fixture
def bare_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for key in list(os.environ):
        if key.startswith(("SLACK_", "LINE_", "HOKOKU_")):
            monkeypatch.delenv(key)
    return {"HOKOKU_SECRET_KEY": SECRET}


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("ja", "SQLite は1プロセスで動かす作りです"),
        ("en", "SQLite serves one process only"),
    ],
)
def test_workers_on_sqlite_are_refused(
    bare_env: dict[str, str], tmp_path: Path, language: str, says: str
) -> None:
    database = tmp_path / "hokoku.db"
    env = {
        **bare_env,
        "HOKOKU_LANGUAGE": language,
        "HOKOKU_DATABASE_URL": f"sqlite:///{database}",
    }
    code, output = refused(["--workers", "2"], env)
    assert code == 1 and says in output and "PostgreSQL" in output, output
    assert "Traceback" not in output
    assert not database.exists()  # refused before anything was opened


# The refusals below come before any connection: the URL need not reach a server.
UNREACHED = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def test_workers_without_a_secret_key_are_refused(bare_env: dict[str, str]) -> None:
    env = {"HOKOKU_DATABASE_URL": UNREACHED, "HOKOKU_LANGUAGE": "en"}
    code, output = refused(["--workers", "3"], env)
    assert code == 1 and "--workers 3 needs HOKOKU_SECRET_KEY" in output, output
    code, output = refused(["--workers", "3"], {**env, "HOKOKU_LANGUAGE": "ja"})
    assert code == 1 and "HOKOKU_SECRET_KEY が必要です" in output, output


def test_workers_with_socket_mode_are_refused(bare_env: dict[str, str]) -> None:
    env = {**bare_env, "HOKOKU_DATABASE_URL": UNREACHED, "HOKOKU_LANGUAGE": "en"}
    code, output = refused(["--workers", "2", "--socket-mode"], env)
    assert code == 1 and "Socket Mode" in output and "Traceback" not in output, output
    code, output = refused(["--workers", "2"], {**env, "SLACK_APP_TOKEN": "xapp-1"})
    assert code == 1 and "Socket Mode" in output, output
