"""Fan-out benchmark: one round's request to thousands of LINE users and Slack channels.

    .venv/bin/python benchmarks/fanout.py                       # 10,000 LINE + 100 Slack, SQLite
    .venv/bin/python benchmarks/fanout.py --database-url postgresql+psycopg://postgres@127.0.0.1/test

Runs the real outbox (enqueue, claim, build, send concurrently, mark sent) with the real
LineMessenger and SlackMessenger, wired and paced exactly as `hokoku serve` does
(bot.messengers.build_messengers from Settings), against a fake Messaging API and Slack
Web API in a separate process that answers after `--latency` and records when each
request arrived. LINE behaves like LINE for X-Line-Retry-Key (409 for a repeated key).
On PostgreSQL a scratch database is created next to the one given and dropped afterwards;
the plan, links and round are ANALYZEd (as in a database in use), the outbox rows are not.
Prints figures; nothing here asserts speed (no timed tests: see docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import pairwise
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, event, func, insert, make_url, select, text

from bot.line.client import retry_key
from bot.messengers import build_messengers
from bot.settings import Settings
from handlers.organization.directory import get_or_create_organization
from handlers.ports import PURPOSE_FAILURE, PURPOSE_REQUEST
from handlers.reporting.rounds import open_round
from models import (
    ROLE_OFFICE,
    Assignment,
    ChatIdentity,
    Department,
    Item,
    Notification,
    Plan,
    PlanNode,
    Round,
)
from models.db import make_engine, make_session_factory, transaction, upgrade
from scheduler.dispatch import deliver_due
from scheduler.due import ask_sends
from scheduler.outbox import enqueue, insert_if_absent
from scheduler.runner import freeze_startup_heap
from tests.scratch_postgres import scratch_database

console = Console()
WORKSPACE = "T0BENCH"


# -- the fake platform APIs (a separate process, asyncio: thousands of connections) --------


def _serve(latency: float, conn: Connection) -> None:
    """Child process: LINE push + Slack chat.postMessage, recording arrivals; GET /calls."""
    calls: list[tuple[str, str, str, float]] = []  # (platform, to, key, arrival)
    accepted: set[str] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.monotonic()
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, answer = 200, b"{}"
                if method == "GET":  # /calls: the record; /count: how many so far
                    answer = json.dumps(calls if path == "/calls" else len(calls)).encode()
                elif path.endswith("/v2/bot/message/push"):
                    retry_key = headers.get("x-line-retry-key", "")
                    to = json.loads(body)["to"]
                    calls.append(("line", to, retry_key, arrived))
                    await asyncio.sleep(latency)
                    if retry_key in accepted:
                        status = 409
                    accepted.add(retry_key)
                    answer = b'{"sentMessages":[{"id":"1","quoteToken":"q"}]}'
                elif path.endswith("/chat.postMessage"):
                    payload = json.loads(body)
                    key = payload["metadata"]["event_payload"]["key"]
                    calls.append(("slack", payload["channel"], key, arrived))
                    await asyncio.sleep(latency)
                    answer = json.dumps(
                        {"ok": True, "channel": payload["channel"], "ts": f"{arrived:.6f}"}
                    ).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        conn.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


@contextmanager
def fake_apis(latency: float) -> Iterator[str]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(latency, child), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{parent.recv()}"
    finally:
        process.kill()
        process.join()


def recorded(url: str) -> list[tuple[str, str, str, float]]:
    with urllib.request.urlopen(f"{url}/calls", timeout=60) as response:
        return [tuple(call) for call in json.loads(response.read())]  # type: ignore[misc]


def received(url: str) -> int:
    with urllib.request.urlopen(f"{url}/count", timeout=60) as response:
        return int(json.loads(response.read()))


# -- the data ----------------------------------------------------------------------------


@contextmanager
def benchmark_database(url: str | None) -> Iterator[str]:
    """A temporary SQLite file, or a scratch PostgreSQL database dropped afterwards."""
    if url is None:
        yield f"sqlite:///{Path(tempfile.mkdtemp()) / 'fanout.db'}"
    elif not url.startswith("postgresql"):
        yield url
    else:
        with scratch_database(url, prefix="hokoku_bench") as scratch:
            yield scratch


def build_round(factory: Any, *, slack: int, line: int, per_department: int, burst: int) -> int:
    """One item per department, `per_department` linked targets each; returns the round id."""
    with transaction(factory) as s:
        org = get_or_create_organization(s, name="benchmark")
        plan = Plan(organization_id=org.id, name="fan-out", level_labels=["基本目標"])
        s.add(plan)
        s.flush()
        node = PlanNode(plan_id=plan.id, depth=0, code="I", title="目標", position=0)
        s.add(node)
        s.flush()
        targets = [("slack", "channel", f"C{n:05d}") for n in range(slack)]
        targets += [("line", "user", f"U{n:05d}") for n in range(line)]
        departments = -(-len(targets) // per_department)
        dept_ids = list(
            s.scalars(
                insert(Department).returning(Department.id, sort_by_parameter_order=True),
                [{"organization_id": org.id, "name": f"課{n:05d}"} for n in range(departments)],
            )
        )
        item_ids = list(
            s.scalars(
                insert(Item).returning(Item.id, sort_by_parameter_order=True),
                [
                    {
                        "plan_id": plan.id,
                        "node_id": node.id,
                        "number": n + 1,
                        "title": f"事業{n}",
                        "position": n,
                    }
                    for n in range(departments)
                ],
            )
        )
        s.execute(
            insert(Assignment),
            [{"item_id": i, "department_id": d} for i, d in zip(item_ids, dept_ids, strict=True)],
        )
        s.execute(
            insert(ChatIdentity),
            [
                {
                    "organization_id": org.id,
                    "platform": platform,
                    "workspace": WORKSPACE if platform == "slack" else "",
                    "kind": kind,
                    "external_id": external_id,
                    "department_id": dept_ids[n // per_department],
                    "role": ROLE_OFFICE if n == 0 else "member",
                }
                for n, (platform, kind, external_id) in enumerate(targets)
            ],
        )
        info = open_round(
            s, plan=plan, fiscal_year=2024, deadline=date(2025, 5, 30), opens_on=date(2025, 4, 1)
        )
        office = s.scalars(select(ChatIdentity.id).where(ChatIdentity.role == ROLE_OFFICE)).one()
        now = datetime.now(UTC)
        for n in range(burst):  # several messages to one Slack channel: spaced per channel
            insert_if_absent(
                s,
                key=f"burst:{n}",
                round_id=info.id,
                identity_id=office,
                platform="slack",
                department_id=None,
                purpose=PURPOSE_FAILURE,
                due_at=now,
                payload={"text": f"burst {n}"},
                now=now,
            )
        return info.id


# -- figures -----------------------------------------------------------------------------


def peak_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    peak, lo = 0, 0
    for hi, at in enumerate(times):
        while at - times[lo] >= 1.0:
            lo += 1
        peak = max(peak, hi - lo + 1)
    return peak


def rate(times: list[float]) -> str:
    if len(times) < 2:
        return "-"
    return f"{(len(times) - 1) / (max(times) - min(times)):.1f}"


def count_statements(engine: Engine) -> list[int]:
    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        counter[0] += 1

    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--line", type=int, default=10_000, help="LINE users")
    parser.add_argument("--slack", type=int, default=100, help="Slack channels (one workspace)")
    parser.add_argument("--burst", type=int, default=5, help="extra messages to one channel")
    parser.add_argument("--per-department", type=int, default=1, help="targets per department")
    parser.add_argument("--workers", type=int, default=100, help="HOKOKU_SEND_WORKERS")
    parser.add_argument("--schedulers", type=int, default=1, help="schedulers delivering at once")
    parser.add_argument("--latency", type=float, default=0.05, help="fake API latency (s)")
    parser.add_argument(
        "--slack-rate", type=float, default=None, help="HOKOKU_SLACK_WORKSPACE_RATE"
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite")
    args = parser.parse_args()

    with fake_apis(args.latency) as api, benchmark_database(args.database_url) as url:
        engine = make_engine(url, pool_size=args.schedulers + 2)
        upgrade(engine)
        factory = make_session_factory(engine)
        with console.status("building the plan and linking targets…"):
            round_id = build_round(
                factory,
                slack=args.slack,
                line=args.line,
                per_department=max(1, args.per_department),
                burst=args.burst,
            )
        if engine.dialect.name == "postgresql":
            # A database in use has planner statistics for its plan, links and round (not
            # for the outbox rows enqueued below, which are as fresh as in production).
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        pacing: dict[str, Any] = {}
        if args.slack_rate is not None:
            pacing["slack_workspace_rate"] = args.slack_rate
        settings = Settings(
            database_url=url,
            slack_bot_token=SecretStr("xoxb-benchmark"),
            slack_api_url=f"{api}/api/",
            line_channel_access_token=SecretStr("line-benchmark"),
            line_api_url=api,
            send_workers=args.workers,
            **pacing,
        )
        messengers = build_messengers(settings)
        total = args.slack + args.line + args.burst
        freeze_startup_heap()  # as hokoku serve / remind / round notify do before sending

        started = time.monotonic()
        now = datetime.now(UTC)
        with transaction(factory) as s:
            rnd = s.get_one(Round, round_id)
            sends = ask_sends(s, rnd=rnd, purpose=PURPOSE_REQUEST, day=now.date(), due_at=now)
            enqueue(s, sends, now=now, configured=messengers.keys())
        enqueued = time.monotonic()
        cpu_before = time.process_time()
        statements = count_statements(engine)
        with Progress(
            TextColumn("fan-out"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("send", total=total)
            with ThreadPoolExecutor(max_workers=args.schedulers) as pool:
                futures = [
                    pool.submit(
                        deliver_due,
                        factory,
                        messengers,
                        worker=f"s{n}",
                        now=now,
                        workers=args.workers,
                    )
                    for n in range(args.schedulers)
                ]
                while not all(f.done() for f in futures):
                    time.sleep(0.5)
                    progress.update(task, completed=received(api))
                results = [f.result() for f in futures]
                progress.update(task, completed=received(api))
        finished = time.monotonic()
        cpu = time.process_time() - cpu_before
        statement_count = statements[0]

        calls = recorded(api)
        with transaction(factory) as s:
            statuses = dict(
                s.execute(
                    select(Notification.status, func.count()).group_by(Notification.status)
                ).all()
            )
            keys = {
                (key, platform)
                for key, platform in s.execute(select(Notification.key, Notification.platform))
            }
        engine.dispose()

    line_times = [at for platform, _, _, at in calls if platform == "line"]
    slack_times = [at for platform, _, _, at in calls if platform == "slack"]
    per_channel: dict[str, list[float]] = defaultdict(list)
    for platform, to, _, at in calls:
        if platform == "slack":
            per_channel[to].append(at)
    gaps = sorted(b - a for times in per_channel.values() for a, b in pairwise(sorted(times)))
    requested = Counter(key for _, _, key, _ in calls)
    expected = {retry_key(key) if platform == "line" else key for key, platform in keys}
    sent = sum(r.sent for r in results)
    elapsed = finished - enqueued
    line_done = max(line_times) - enqueued if line_times else 0.0
    table = Table(
        title=(
            f"fan-out: {args.line} LINE + {args.slack} Slack + {args.burst} burst, "
            f"{args.per_department} target(s) per department, {args.workers} workers × "
            f"{args.schedulers} scheduler(s), {args.latency * 1000:.0f} ms latency "
            f"({make_url(url).get_backend_name()})"
        )
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in (
        ("plan + enqueue (s)", f"{enqueued - started:.2f}"),
        (
            "LINE: first / last push received after (s)",
            f"{min(line_times) - enqueued:.2f} / {line_done:.2f}" if line_times else "-",
        ),
        (
            "LINE pushes / s (from the start of delivery)",
            f"{len(line_times) / line_done:.0f}" if line_done else "-",
        ),
        ("LINE peak requests in any 1 s (limit 2,000)", str(peak_in_a_second(line_times))),
        ("Slack posts / s over the workspace (first to last)", rate(slack_times)),
        (
            f"Slack peak posts in any 1 s (rate {settings.slack_workspace_rate:g}/s, "
            f"burst {settings.slack_workspace_burst})",
            str(peak_in_a_second(slack_times)),
        ),
        (
            "Slack gap between posts to one channel: smallest / median (s; "
            f"paced at {settings.slack_channel_interval:g})",
            f"{gaps[0]:.3f} / {gaps[len(gaps) // 2]:.3f}" if gaps else "-",
        ),
        ("deliver, all platforms (s)", f"{elapsed:.2f}"),
        (
            "CPU of this process per message (ms; the machine's load does not change it much)",
            f"{cpu * 1000 / max(sent, 1):.2f}",
        ),
        ("SQL statements per message (deliver)", f"{statement_count / max(sent, 1):.2f}"),
        (
            "lost: rows not sent / messages the API never got",
            f"{len(keys) - statuses.get('sent', 0)} / {len(expected - set(requested))}",
        ),
        ("keys requested more than once", str(sum(1 for c in requested.values() if c > 1))),
        ("outbox rows by status", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))),
    ):
        table.add_row(name, value)
    console.print(table)


if __name__ == "__main__":
    main()
