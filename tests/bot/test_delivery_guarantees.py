"""At-least-once in, exactly-once stored: concurrent deliveries and their redeliveries.

The real app (Slack and LINE on one server) under uvicorn, signed requests over HTTP, tens
in flight, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.server import build_app
from models import Item, Report, ReportRevision
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.bot.deliveries import (
    Delivery,
    Office,
    answers_for,
    both_platforms,
    item_numbers_of,
    line_text,
    seed_office,
    slack_dm,
    stored_comments,
)
from tests.bot.serving import free_port, platform_env, serve_command
from tests.conftest import Db
from tests.fakes.line_api import FakeLineApi
from tests.fakes.slack_api import FakeSlackApi

IN_FLIGHT = 32


@pytest.fixture
def office_url(
    db: Db, fake_slack: FakeSlackApi, line_api: FakeLineApi
) -> Iterator[tuple[str, Office]]:
    office = seed_office(db)
    settings = both_platforms(db, slack_api_url=fake_slack.url, line_api_url=line_api.url)
    runtime = Runtime(
        settings=settings,
        engine=db.engine,
        factory=db.factory,
        organization_id=office.organization_id,
    )
    with running_asgi(build_app(settings, runtime)) as url:
        yield url, office


def send_all(url: str, deliveries: list[Delivery]) -> Counter[int]:
    """Send every delivery with IN_FLIGHT at once; the HTTP status counts."""
    with httpx.Client(base_url=url, timeout=60) as http, ThreadPoolExecutor(IN_FLIGHT) as pool:
        statuses = list(pool.map(lambda d: d.send(http).status_code, deliveries))
    return Counter(statuses)


def test_replayed_deliveries_store_each_answer_once_and_lose_none(
    db: Db, office_url: tuple[str, Office]
) -> None:
    url, office = office_url
    originals = list(answers_for(office, 160))
    rng = random.Random(9)
    # Each delivery arrives 1–3 times; the retries race the original (Slack retries after
    # 3 s without an answer, LINE redelivers), in random order.
    deliveries = [
        d for d in originals for d in [d, d.again(), d.again().again()][: rng.randint(1, 3)]
    ]
    rng.shuffle(deliveries)

    statuses = send_all(url, deliveries)

    assert statuses == Counter({200: len(deliveries)})
    stored = Counter(stored_comments(db))
    expected = {d.comment for d in originals}
    assert set(stored) == expected  # none lost
    assert max(stored.values()) == 1  # none stored twice


def test_two_people_answering_one_slot_at_once_both_become_revisions(
    db: Db, office_url: tuple[str, Office]
) -> None:
    """Two members of one department (one on Slack, one on LINE) answer the same item at the
    same moment, twenty times: every answer is a revision, numbered without gaps."""
    url, office = office_url
    department = office.departments[0]
    item = item_numbers_of(office, department)[0]
    slack_user = next(u for u, d in office.slack_users.items() if d == department)
    line_user = next(u for u, d in office.line_users.items() if d == department)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def answer(delivery: Delivery, http: httpx.Client) -> None:
        barrier.wait()
        statuses.append(delivery.send(http).status_code)

    with httpx.Client(base_url=url, timeout=60) as http:
        for n in range(20):
            pair = [
                slack_dm(
                    slack_user, f"{item} B slack-{n}", event_id=f"EvPair{n}", comment=f"slack-{n}"
                ),
                line_text(
                    line_user, f"{item} C line-{n}", event_id=f"01PAIR{n:020d}", comment=f"line-{n}"
                ),
            ]
            threads = [threading.Thread(target=answer, args=(d, http)) for d in pair]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

    assert statuses == [200] * 40
    with transaction(db.factory) as session:
        report, _ = session.execute(
            select(Report, Item)
            .join(Report.assignment)
            .join(Item)
            .where(Report.round_id == office.round_id, Item.number == item)
        ).one()
        revisions = session.scalars(
            select(ReportRevision)
            .where(ReportRevision.report_id == report.id)
            .order_by(ReportRevision.revision)
        ).all()
    assert [r.revision for r in revisions] == list(range(1, 41))
    assert {r.comment for r in revisions} == {f"slack-{n}" for n in range(20)} | {
        f"line-{n}" for n in range(20)
    }
    assert (report.revision, report.comment) == (
        40,
        revisions[-1].comment,
    )  # the later one is current


class ServeProcess:
    """A real `hokoku serve` process (Slack and LINE) on a free port, against the fakes."""

    def __init__(self, db: Db, fake_slack: FakeSlackApi, line_api: FakeLineApi, cwd: Path) -> None:
        self.env = platform_env(db.url, fake_slack, line_api)
        self.cwd = cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            serve_command(self.port, "--no-scheduler"),
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("hokoku serve did not come up")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def test_kill_9_mid_stream_then_redelivery_stores_everything_exactly_once(
    db: Db, fake_slack: FakeSlackApi, line_api: FakeLineApi, tmp_path: Path
) -> None:
    office = seed_office(db)
    originals = list(answers_for(office, 300))
    serve = ServeProcess(db, fake_slack, line_api, tmp_path)
    serve.start()
    acked: list[Delivery] = []
    unanswered: list[Delivery] = []
    guard = threading.Lock()

    def deliver(delivery: Delivery, http: httpx.Client) -> None:
        try:
            ok = delivery.send(http).status_code == 200
        except httpx.TransportError:  # the process died with this request in flight
            ok = False
        with guard:
            (acked if ok else unanswered).append(delivery)

    try:
        with httpx.Client(base_url=serve.url, timeout=30) as http, ThreadPoolExecutor(8) as pool:
            for n, delivery in enumerate(originals):
                if n == len(originals) // 2:
                    serve.kill()
                pool.submit(deliver, delivery, http)
                time.sleep(0.005)
        # Whatever got its 200 before the kill is in the database.
        assert {d.comment for d in acked} <= set(stored_comments(db))
        assert unanswered  # the kill happened mid-stream

        serve.start()  # the service manager restarts it; the platforms redeliver the rest
        with httpx.Client(base_url=serve.url, timeout=30) as http:
            for delivery in unanswered:
                assert delivery.again().send(http).status_code == 200
    finally:
        if serve.proc is not None and serve.proc.poll() is None:
            serve.kill()

    stored = Counter(stored_comments(db))
    assert set(stored) == {d.comment for d in originals}
    assert max(stored.values()) == 1
