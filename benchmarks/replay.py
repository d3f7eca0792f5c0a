"""Replay deliveries the way Slack and LINE send them, and count what was stored.

The real app (Slack Events API and LINE webhook on one server, under uvicorn) against
local fake Web APIs; signed requests over HTTP, `--in-flight` at once; every answer is
delivered one to three times (Slack retries with the same event_id, LINE redelivers with
the same webhookEventId), in random order. Prints, per database: deliveries sent, in
flight, answers expected, stored, lost, duplicated, HTTP status counts and ack latency.

`--serve`: the same replay against real `hokoku serve` processes on PostgreSQL, each on
a port of its own, the deliveries dealt out between them in turn (as a proxy in front of
replicas on several machines would), every process with its scheduler (one of them
leads, scheduler.leader). The round is overdue, so the leader sends a chase to every
member at its first tick, when the processes start. Run one after the other in one run,
each on a fresh database: one process (the floor), then one with `--workers` if more
than 1, then `--processes` (default 2) processes of `--workers` (default 1) each. Prints
lost, duplicated, 5xx, the chases sent and whether any was asked of Slack/LINE twice, how
many processes led the scheduler, acked/s and ack latency, CPU per acked delivery of the
serve processes, of the database's PostgreSQL backends (when the server runs on this
machine) and of this process (the load and the fake APIs: all share the machine's
cores), with the load average before and after each.

    .venv/bin/python benchmarks/replay.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/replay.py --answers 3000 --in-flight 50 --only sqlite
    .venv/bin/python benchmarks/replay.py --serve              # 1 vs 2 serve processes
    .venv/bin/python benchmarks/replay.py --serve --processes 2 --workers 2
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fakes live with the tests

from bot.line.client import retry_key
from bot.runtime import Runtime
from bot.server import build_app
from models import Notification
from models.db import make_engine, make_session_factory, transaction, upgrade
from models.outbox import STATUS_CLAIMED, STATUS_PENDING, STATUS_SENT
from tests.asgi_server import running_asgi
from tests.bot.deliveries import Delivery, Office, answers_for, both_platforms, seed_office
from tests.bot.serving import Serve, sent_keys, workers_of
from tests.conftest import Db
from tests.fakes.line_api import running_fake_line_api
from tests.fakes.slack_api import FakeSlackApi
from tests.scratch_postgres import scratch_database

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NO_ANSWER = 0  # the "status" of a request that got no HTTP answer (connection reset)


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


def replayed_office(
    url: str, *, answers: int, seed: int
) -> tuple[Db, Office, list[Delivery], list[Delivery]]:
    """A fresh office on `url`, its `answers` answers, and the deliveries to send: each answer
    once to three times (the platforms' retries), shuffled the same way for the same seed."""
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
    return db, office, originals, deliveries


def run(url: str, label: str, *, answers: int, in_flight: int, seed: int) -> Figures:
    db, office, originals, deliveries = replayed_office(url, answers=answers, seed=seed)
    engine = db.engine
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


@dataclass
class ServeFigures:
    label: str
    processes: int
    workers: int
    sent: int
    lost: int
    duplicated: int
    statuses: Counter[int]
    acked_per_s: float
    p50_ms: float
    p99_ms: float
    chases: int  # rows the outbox marked sent
    asked: int  # messages asked of Slack/LINE
    asked_twice: int  # keys asked more than once
    leaders: int  # processes seen leading the scheduler at the end
    server_cpu_ms: float  # CPU of every serve process and worker per timed delivery
    client_cpu_ms: float  # CPU of this process (the load, the fake APIs) per timed delivery
    database_cpu_ms: float  # CPU of the PostgreSQL backends of the database per timed delivery
    load_before: float
    load_after: float


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants alive now (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        pending += [int(child) for child in children]
    return total


def _backends_cpu(engine: Any) -> dict[int, float]:
    """CPU so far of each PostgreSQL backend serving this database (same machine only)."""
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalars()
        return {pid: _cpu_seconds(pid) for pid in pids}


def _drained(factory: Any, timeout: float = 120) -> int:
    """Wait until the outbox has sent everything it holds; the number of sent rows."""
    deadline = time.monotonic() + timeout
    while True:
        with transaction(factory) as session:
            statuses = Counter(session.scalars(select(Notification.status)))
        busy = statuses[STATUS_PENDING] + statuses[STATUS_CLAIMED]
        if (statuses[STATUS_SENT] and not busy) or time.monotonic() > deadline:
            return statuses[STATUS_SENT]
        time.sleep(0.2)


def run_serve(
    server_url: str, *, processes: int, workers: int, answers: int, in_flight: int, seed: int
) -> ServeFigures:
    """The replay against `processes` real `hokoku serve --workers N` on one fresh database."""
    with scratch_database(server_url, prefix="hokoku_bench") as url:
        db, _office, originals, deliveries = replayed_office(url, answers=answers, seed=seed)
        engine, factory = db.engine, db.factory
        fake_slack = FakeSlackApi().start()
        serves: list[Serve] = []
        try:
            with (
                running_fake_line_api() as line_api,
                tempfile.TemporaryDirectory() as folder,
            ):
                serves = [
                    Serve(
                        url,
                        fake_slack,
                        line_api,
                        Path(folder),
                        workers=workers,
                        scheduler_interval=60,  # the default; the first tick is at start
                    ).start()
                    for _ in range(processes)
                ]
                for serve in serves:
                    serve.wait_healthy()
                clients = [
                    httpx.Client(
                        base_url=serve.url,
                        timeout=60,
                        limits=httpx.Limits(max_connections=in_flight),
                    )
                    for serve in serves
                ]

                # Warm-up, not timed: a few deliveries to every worker of every process (the
                # first requests of a process load and compile what the others reuse). They
                # count for lost and duplicated like the rest.
                warm = min(len(deliveries) // 10, 8 * processes * workers)
                with ThreadPoolExecutor(processes * workers) as pool:
                    warmed = list(
                        pool.map(
                            lambda n: deliveries[n].send(clients[n % len(clients)]).status_code,
                            range(warm),
                        )
                    )

                def timed(n: int) -> tuple[int, float]:
                    start = time.perf_counter()
                    try:
                        status = deliveries[n].send(clients[n % len(clients)]).status_code
                    except httpx.TransportError:  # no answer: the platform sends it again
                        status = NO_ANSWER
                    return status, (time.perf_counter() - start) * 1000

                pids = [serve.proc.pid for serve in serves if serve.proc is not None]
                server_cpu = sum(_cpu_seconds(pid) for pid in pids)
                client_cpu = time.process_time()
                backends = _backends_cpu(engine)
                load_before = os.getloadavg()[0]
                began = time.perf_counter()
                with ThreadPoolExecutor(in_flight) as pool:
                    results = list(pool.map(timed, range(warm, len(deliveries))))
                seconds = time.perf_counter() - began
                acked = sum(1 for status, _ in results if status == 200)
                server_cpu = sum(_cpu_seconds(pid) for pid in pids) - server_cpu
                client_cpu = time.process_time() - client_cpu
                after = _backends_cpu(engine)
                database_cpu = sum(cpu - backends.get(pid, 0.0) for pid, cpu in after.items())
                # What got no HTTP answer is sent again, as Slack and LINE do (to the next
                # process in turn), until it is answered.
                unanswered = [n for n, (status, _) in enumerate(results) if status == NO_ANSWER]
                for n in unanswered:
                    for attempt in range(1, 6):
                        try:
                            again = deliveries[warm + n].again()
                            if again.send(clients[(n + attempt) % len(clients)]).status_code:
                                break
                        except httpx.TransportError:
                            time.sleep(1)
                if unanswered:  # keep the servers' logs to see why
                    kept = Path(tempfile.mkdtemp(prefix="hokoku-replay-logs-"))
                    for serve in serves:
                        (kept / serve.log.name).write_text(serve.output())
                    print(f"{len(unanswered)} deliveries got no answer; serve logs in {kept}")
                results += [(status, 0.0) for status in warmed]  # statuses only
                load_after = os.getloadavg()[0]
                for client in clients:
                    client.close()
                chases = _drained(factory)
                leaders = {
                    (serve.port, pid)
                    for serve in serves
                    for pid, body in workers_of(serve, workers).items()
                    if body["scheduler"]["leader"]
                }
                keys = Counter(sent_keys(fake_slack, line_api))
                with transaction(factory) as session:
                    rows = session.scalars(
                        select(Notification).where(Notification.status == STATUS_SENT)
                    ).all()
                    expected = Counter(
                        r.key if r.platform == "slack" else retry_key(r.key) for r in rows
                    )
                for serve in serves:
                    serve.stop()
        finally:
            for serve in serves:
                serve.kill_group()
            fake_slack.stop()
        with engine.connect() as conn:
            comments = Counter(conn.execute(text("SELECT comment FROM report_revisions")).scalars())
        engine.dispose()
    wanted = {d.comment for d in originals}
    latencies = sorted(ms for _, ms in results[: len(deliveries) - warm])
    return ServeFigures(
        label=f"{processes} serve" + (f" ×{workers} workers" if workers > 1 else ""),
        processes=processes,
        workers=workers,
        sent=len(deliveries),
        lost=len(wanted - set(comments)),
        duplicated=sum(n - 1 for n in comments.values() if n > 1),
        statuses=Counter(status for status, _ in results),
        acked_per_s=acked / seconds,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[max(0, round(len(latencies) * 0.99) - 1)],
        chases=chases,
        asked=sum(keys.values()),
        asked_twice=sum(1 for n in keys.values() if n > 1)
        + len(set(expected) ^ set(keys)),  # also a key sent but not recorded, or the reverse
        leaders=len(leaders),
        server_cpu_ms=server_cpu * 1000 / (len(deliveries) - warm),
        client_cpu_ms=client_cpu * 1000 / (len(deliveries) - warm),
        database_cpu_ms=database_cpu * 1000 / (len(deliveries) - warm),
        load_before=load_before,
        load_after=load_after,
    )


def main_serve(args: argparse.Namespace, console: Console) -> None:
    figures: list[ServeFigures] = []
    scenarios = [(1, 1)]  # the floor: one process, as `hokoku serve` runs by default
    if args.workers > 1:
        scenarios.append((1, args.workers))
    scenarios.append((args.processes, args.workers))
    for processes, workers in scenarios:
        figures.append(
            run_serve(
                args.database_url,
                processes=processes,
                workers=workers,
                answers=args.answers,
                in_flight=args.in_flight,
                seed=args.seed,
            )
        )
    table = Table(
        title=(
            f"replay over real hokoku serve processes on PostgreSQL: {args.answers} answers, "
            f"{args.in_flight} in flight, deliveries dealt out in turn ({os.cpu_count()} cores); "
            "HTTP 0 = no answer (sent again)"
        )
    )
    for column in (
        "processes",
        "sent",
        "lost",
        "duplicated",
        "HTTP",
        "5xx",
        "chases sent/asked",
        "asked twice",
        "leaders",
        "acked/s",
        "× the floor",
        "ack p50",
        "ack p99",
        "CPU/ack: serve|db|load",
        "load before→after",
    ):
        table.add_column(column, justify="right")
    floor = figures[0].acked_per_s
    for f in figures:
        table.add_row(
            f.label,
            str(f.sent),
            str(f.lost),
            str(f.duplicated),
            " ".join(f"{code}×{n}" for code, n in sorted(f.statuses.items())),
            str(sum(n for code, n in f.statuses.items() if code >= 500)),
            f"{f.chases}/{f.asked}",
            str(f.asked_twice),
            str(f.leaders),
            f"{f.acked_per_s:.0f}",
            f"{f.acked_per_s / floor:.2f}×",
            f"{f.p50_ms:.0f} ms",
            f"{f.p99_ms:.0f} ms",
            f"{f.server_cpu_ms:.1f}|{f.database_cpu_ms:.1f}|{f.client_cpu_ms:.1f} ms",
            f"{f.load_before:.1f}→{f.load_after:.1f}",
        )
    console.print(table)


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
    parser.add_argument(
        "--serve", action="store_true", help="real hokoku serve processes (PostgreSQL)"
    )
    parser.add_argument("--processes", type=int, default=2, help="with --serve (default 2)")
    parser.add_argument(
        "--workers", type=int, default=1, help="--workers of each serve (default 1)"
    )
    args = parser.parse_args()
    console = Console(width=240)
    if args.serve:
        main_serve(args, console)
        return
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
