"""Replay deliveries the way Slack and LINE send them, and count what was stored.

The real app (Slack Events API and LINE webhook on one server, under uvicorn) against
local fake Web APIs; signed requests over HTTP, `--in-flight` at once; every answer is
delivered one to three times (Slack retries with the same event_id, LINE redelivers with
the same webhookEventId), in random order. Prints, per database: deliveries sent, in
flight, answers expected, stored, lost, duplicated, HTTP status counts and ack latency.

    .venv/bin/python benchmarks/replay.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/replay.py --answers 3000 --in-flight 50 --only sqlite
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fakes live with the tests

from bot.runtime import Runtime
from bot.server import build_app
from models.db import make_engine, make_session_factory, upgrade
from tests.asgi_server import running_asgi
from tests.bot.deliveries import Delivery, answers_for, both_platforms, seed_office
from tests.conftest import Db
from tests.fakes.line_api import running_fake_line_api
from tests.fakes.slack_api import FakeSlackApi
from tests.scratch_postgres import scratch_database

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Figures:
    database: str
    sent: int
    in_flight: int
    expected: int
    stored: int
    lost: int
    duplicated: int
    statuses: Counter[int]
    p50_ms: float
    p99_ms: float
    seconds: float


def run(url: str, label: str, *, answers: int, in_flight: int, seed: int) -> Figures:
    engine = make_engine(url)
    upgrade(engine)
    db = Db(url=url, engine=engine, factory=make_session_factory(engine))
    office = seed_office(db, departments=8, items_each=6, people_each=3)
    originals = list(answers_for(office, answers))
    rng = random.Random(seed)
    deliveries = [
        d for d in originals for d in [d, d.again(), d.again().again()][: rng.randint(1, 3)]
    ]
    rng.shuffle(deliveries)
    fake_slack = FakeSlackApi().start()
    try:
        with running_fake_line_api() as line_api:
            settings = both_platforms(db, slack_api_url=fake_slack.url, line_api_url=line_api.url)
            serving = make_engine(url, settings.pool(serving=True))
            runtime = Runtime(
                settings=settings,
                engine=serving,
                factory=make_session_factory(serving),
                organization_id=office.organization_id,
            )
            with (
                running_asgi(build_app(settings, runtime)) as base,
                httpx.Client(
                    base_url=base, timeout=60, limits=httpx.Limits(max_connections=in_flight)
                ) as http,
            ):

                def timed(delivery: Delivery) -> tuple[int, float]:
                    start = time.perf_counter()
                    status = delivery.send(http).status_code
                    return status, (time.perf_counter() - start) * 1000

                began = time.perf_counter()
                with ThreadPoolExecutor(in_flight) as pool:
                    results = list(pool.map(timed, deliveries))
                seconds = time.perf_counter() - began
            serving.dispose()
    finally:
        fake_slack.stop()
    with engine.connect() as conn:
        comments = Counter(conn.execute(text("SELECT comment FROM report_revisions")).scalars())
    engine.dispose()
    expected = {d.comment for d in originals}
    latencies = sorted(ms for _, ms in results)
    return Figures(
        database=label,
        sent=len(deliveries),
        in_flight=in_flight,
        expected=len(expected),
        stored=len(set(comments) & expected),
        lost=len(expected - set(comments)),
        duplicated=sum(n - 1 for n in comments.values() if n > 1),
        statuses=Counter(status for status, _ in results),
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[max(0, round(len(latencies) * 0.99) - 1)],
        seconds=seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=1000, help="distinct answers (default 1000)")
    parser.add_argument("--in-flight", type=int, default=32, help="requests at once (default 32)")
    parser.add_argument(
        "--database-url", default=PG_DEFAULT, help="PostgreSQL server for the scratch database"
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run one database only")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    console = Console(width=160)
    figures: list[Figures] = []
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            figures.append(
                run(
                    f"sqlite:///{folder}/replay.db",
                    "SQLite",
                    answers=args.answers,
                    in_flight=args.in_flight,
                    seed=args.seed,
                )
            )
    if args.only in (None, "postgresql"):
        try:
            with scratch_database(args.database_url, prefix="hokoku_bench") as url:
                figures.append(
                    run(
                        url,
                        "PostgreSQL",
                        answers=args.answers,
                        in_flight=args.in_flight,
                        seed=args.seed,
                    )
                )
        except OperationalError as exc:
            console.print(f"PostgreSQL skipped: {exc.orig}")
    table = Table(title="replay: at-least-once in, exactly-once stored")
    for column in (
        "database",
        "sent",
        "in flight",
        "expected",
        "stored",
        "lost",
        "duplicated",
        "HTTP",
        "ack p50",
        "ack p99",
        "time",
    ):
        table.add_column(column, justify="right")
    for f in figures:
        table.add_row(
            f.database,
            str(f.sent),
            str(f.in_flight),
            str(f.expected),
            str(f.stored),
            str(f.lost),
            str(f.duplicated),
            " ".join(f"{code}×{n}" for code, n in sorted(f.statuses.items())),
            f"{f.p50_ms:.0f} ms",
            f"{f.p99_ms:.0f} ms",
            f"{f.seconds:.1f} s",
        )
    console.print(table)


if __name__ == "__main__":
    main()
