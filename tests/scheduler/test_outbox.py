"""The outbox under failure: retries with backoff, permanent failures, parallel schedulers, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from handlers.i18n import translator
from handlers.ports import DeliveryError, TextMessage
from models import Notification
from models.db import make_engine, make_session_factory, transaction
from scheduler.calendar import BusinessCalendar
from scheduler.outbox import LEASE, backoff, claim
from scheduler.runner import tick
from tests.conftest import Db
from tests.scheduler.doubles import RecordingMessenger, jst, link
from tests.scheduler.http_recorder import Recorder, RecorderMessenger
from tests.scheduler.scenario import BOSAI, JINKEN, KOSODATE, build_scenario

CAL = BusinessCalendar()
ROOT = Path(__file__).resolve().parents[2]


def rows(db: Db) -> list[Notification]:
    with transaction(db.factory) as s:
        return list(
            s.scalars(
                select(Notification)
                .options(selectinload(Notification.identity))
                .order_by(Notification.id)
            )
        )


def add_line_users(db: Db, count: int) -> None:
    with transaction(db.factory) as s:
        for n in range(count):
            dept = (JINKEN, KOSODATE, BOSAI)[n % 3]
            link(s, dept, platform="line", external_id=f"U-MANY-{n:03d}")


def test_backoff_doubles_and_honours_retry_after() -> None:
    assert [backoff(n, None).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30, None) == timedelta(hours=1)
    assert backoff(1, 300) == timedelta(seconds=300)
    assert backoff(4, 5) == timedelta(seconds=240)


def test_rate_limited_send_is_retried_after_retry_after_and_sent_once(db: Db) -> None:
    sc = build_scenario(db.factory)
    sc.line.fail["G-KOSO"] = DeliveryError("429 Too Many Requests", retry_after=120)
    now = jst(date(2024, 4, 1))
    tick(db.factory, sc.messengers, now, calendar=CAL)
    (row,) = [r for r in rows(db) if r.identity_id == sc.identities["G-KOSO"]]
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == now + timedelta(seconds=120)
    del sc.line.fail["G-KOSO"]
    tick(db.factory, sc.messengers, now + timedelta(seconds=60), calendar=CAL)
    assert sc.line.to("G-KOSO") == []
    tick(db.factory, sc.messengers, now + timedelta(seconds=121), calendar=CAL)
    tick(db.factory, sc.messengers, now + timedelta(seconds=300), calendar=CAL)
    assert len(sc.line.to("G-KOSO")) == 1
    (row,) = [r for r in rows(db) if r.identity_id == sc.identities["G-KOSO"]]
    assert row.status == "sent" and row.attempts == 2
    assert sc.line.resends == [row.key]  # the retry of a refused send is flagged too


def test_permanent_failure_is_reported_to_the_office_once(db: Db) -> None:
    sc = build_scenario(db.factory)
    sc.line.fail["U-BOSAI"] = DeliveryError("the user blocked the bot", permanent=True)
    for day in (date(2024, 4, 1), date(2024, 4, 23), date(2024, 5, 1)):
        tick(db.factory, sc.messengers, jst(day), calendar=CAL)
    failed = [r for r in rows(db) if r.identity_id == sc.identities["U-BOSAI"]]
    assert [r.status for r in failed] == ["failed", "failed", "failed"]
    notices = [s for s in sc.slack.to("U-OFFICE") if isinstance(s.message, TextMessage)]
    assert len(notices) == 1
    assert isinstance(notices[0].message, TextMessage)
    notice = translator("ja").render(notices[0].message.message)
    assert "防災課 への通知を送れませんでした" in notice and "U-BOSAI" in notice
    assert "could not be delivered" in translator("en").render(notices[0].message.message)


def test_repeated_transient_failures_end_as_failed(db: Db) -> None:
    sc = build_scenario(db.factory)
    sc.line.fail["G-KOSO"] = DeliveryError("503", retry_after=None)
    now = jst(date(2024, 4, 1))
    for step in range(12):
        tick(db.factory, sc.messengers, now + timedelta(hours=step), calendar=CAL)
    (row,) = [r for r in rows(db) if r.identity_id == sc.identities["G-KOSO"]]
    assert row.status == "failed" and row.attempts == 8
    assert sc.line.attempts.count(row.key) == 8


def test_a_claim_abandoned_by_a_dead_worker_is_reclaimed_after_the_lease(db: Db) -> None:
    sc = build_scenario(db.factory)
    now = jst(date(2024, 4, 1))
    tick(db.factory, sc.messengers, now, calendar=CAL, deliver=False)
    token, ids = claim(db.factory, worker="dead", now=now, platforms=["slack", "line"])
    assert len(ids) == 5
    assert claim(db.factory, worker="other", now=now + LEASE, platforms=["line", "slack"])[1] == []
    tick(db.factory, sc.messengers, now + LEASE - timedelta(seconds=1), calendar=CAL)
    assert sc.slack.sent == [] and sc.line.sent == []
    tick(db.factory, sc.messengers, now + LEASE + timedelta(seconds=1), calendar=CAL)
    assert len(sc.slack.sent) + len(sc.line.sent) == 5
    assert all(r.status == "sent" and r.claimed_by != token for r in rows(db))
    # The dead worker may have delivered them: the messengers are told to check first.
    assert sorted(sc.slack.resends + sc.line.resends) == sorted(r.key for r in rows(db))


@pytest.mark.postgres_only
def test_two_schedulers_in_parallel_send_every_message_exactly_once(db: Db) -> None:
    build_scenario(db.factory)
    add_line_users(db, 60)
    shared = {"slack": RecordingMessenger("slack"), "line": RecordingMessenger("line")}
    barrier = threading.Barrier(2)

    def run(worker: str) -> None:
        engine = make_engine(db.url)  # its own connections, like a second process
        factory = make_session_factory(engine)
        try:
            barrier.wait()
            for minute in range(3):
                now = jst(date(2024, 4, 1), 10, minute)
                tick(factory, shared, now, calendar=CAL, worker=worker)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run, f"w{n}") for n in (1, 2)]
        for future in futures:
            future.result()  # re-raises a worker's exception here
    keys = shared["slack"].keys() + shared["line"].keys()
    assert len(keys) == 65
    assert len(set(keys)) == len(keys)
    stored = rows(db)
    assert {r.key for r in stored} == set(keys)
    assert all(r.status == "sent" for r in stored)
    assert {r.claimed_by.split(":")[0] for r in stored if r.claimed_by} <= {"w1", "w2"}


@pytest.mark.postgres_only
def test_two_scheduler_processes_send_every_message_exactly_once(db: Db) -> None:
    """Two real OS processes tick the same moment: both plan, enqueue and claim at once."""
    build_scenario(db.factory)
    add_line_users(db, 60)
    now = jst(date(2024, 4, 1))
    start_at = time.time() + 3  # both processes imported and connected by then
    with Recorder(delay=0.01) as recorder:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.scheduler.crash_worker",
                    db.url,
                    recorder.url,
                    now.isoformat(),
                    f"proc{n}",
                    str(start_at),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for n in (1, 2)
        ]
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()
        line_rows = [r for r in rows(db) if r.identity.platform == "line"]
        assert len(line_rows) == 62  # G-KOSO, U-BOSAI and 60 more
        assert all(r.status == "sent" for r in line_rows)
        # Every key was requested exactly once: no duplicate even before retry-key dedupe.
        requested = sorted(recorder.requests)
        assert requested == sorted(r.key for r in line_rows)
        assert {r.claimed_by.split(":")[0] for r in line_rows if r.claimed_by} <= {"proc1", "proc2"}


def test_kill_minus_nine_mid_fan_out_loses_and_doubles_nothing(db: Db) -> None:
    sc = build_scenario(db.factory)
    add_line_users(db, 30)
    now = jst(date(2024, 4, 1))
    with Recorder(delay=0.2) as recorder:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.scheduler.crash_worker",
                db.url,
                recorder.url,
                now.isoformat(),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while len(recorder.requests) < 5:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the worker never started sending"
                time.sleep(0.02)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        before = rows(db)
        line_rows = [r for r in before if r.identity.platform == "line"]
        assert any(r.status == "claimed" for r in line_rows)  # killed mid fan-out
        sent_before = {r.key for r in line_rows if r.status == "sent"}

        # A fresh scheduler, after the dead worker's lease ran out, finishes the fan-out.
        recorder.delay = 0.0
        fresh = {"line": RecorderMessenger(recorder.url), "slack": sc.slack}
        tick(db.factory, fresh, now + LEASE + timedelta(minutes=1), calendar=CAL, worker="fresh")

        after = rows(db)
        line_keys = {r.key for r in after if r.identity.platform == "line"}
        assert len(line_keys) == 32  # G-KOSO, U-BOSAI and 30 more
        assert all(r.status == "sent" for r in after)
        counts = recorder.delivered_counts()
        assert set(counts) == line_keys  # nothing lost
        assert set(counts.values()) == {1}  # nothing delivered twice
        # Only rows the dead worker had claimed but not marked sent were sent again.
        resent = [k for k in recorder.requests if recorder.requests.count(k) > 1]
        assert set(resent) <= line_keys - sent_before
