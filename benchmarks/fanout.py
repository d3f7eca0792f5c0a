"""Fan-out benchmark: one round's request to thousands of Slack channels and LINE users.

    .venv/bin/python benchmarks/fanout.py --slack 2000 --line 3000 --workers 8

Runs the real outbox (enqueue, claim, send, mark sent) against a local fake HTTP API,
with the platform pacing of scheduler.ratelimit (Slack 1 msg/s per channel, LINE 2,000
req/s), shows a progress bar and prints figures. Not a test: nothing here asserts speed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from handlers.directory import get_or_create_department, get_or_create_organization
from handlers.identities import link_identity
from handlers.ports import PURPOSE_FAILURE, PURPOSE_REQUEST, OutboundMessage, Target
from handlers.rounds import open_round
from models import Assignment, Item, Notification, Plan, PlanNode, Round
from models.db import make_engine, make_session_factory, transaction, upgrade
from scheduler.due import ask_sends
from scheduler.outbox import deliver_due, enqueue, insert_if_absent
from scheduler.ratelimit import rate_limited

console = Console()


class FakeApi:
    """Records (platform, target, key, time) of every POST; answers 200 after `latency`."""

    def __init__(self, latency: float) -> None:
        self.calls: list[tuple[str, str, str, float]] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if latency:
                    time.sleep(latency)
                with api.lock:
                    api.calls.append(
                        (self.path.strip("/"), body["to"], body["key"], time.monotonic())
                    )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


class HttpMessenger:
    """Posts to the fake API; remembers when each send started (what the pacing controls)."""

    def __init__(self, platform: str, url: str) -> None:
        self.platform = platform
        self.url = f"{url}/{platform}"
        self.starts: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        with self.lock:
            self.starts.append((target.external_id, time.monotonic()))
        data = json.dumps({"to": target.external_id, "key": key}).encode()
        request = urllib.request.Request(self.url, data=data, method="POST")
        with urllib.request.urlopen(request, timeout=30):
            return


def build_round(factory: Any, *, slack: int, line: int, burst: int) -> tuple[int, int]:
    """A plan with one department per target, all linked; returns (round id, office id)."""
    with transaction(factory) as s:
        org = get_or_create_organization(s, name="benchmark")
        plan = Plan(organization_id=org.id, name="fan-out", level_labels=["基本目標"])
        s.add(plan)
        s.flush()
        node = PlanNode(plan_id=plan.id, depth=0, code="I", title="目標", position=0)
        s.add(node)
        s.flush()
        office_id = 0
        for n in range(slack + line):
            dept = get_or_create_department(s, organization_id=org.id, name=f"課{n:05d}")
            item = Item(
                plan_id=plan.id, node_id=node.id, number=n + 1, title=f"事業{n}", position=n
            )
            s.add(item)
            s.flush()
            s.add(Assignment(item_id=item.id, department_id=dept.id))
            platform, kind = ("slack", "channel") if n < slack else ("line", "user")
            ident = link_identity(
                s,
                department=dept,
                platform=platform,
                external_id=f"{platform[0].upper()}{n:05d}",
                kind=kind,
                role="office" if n == 0 else "member",
            )
            s.flush()
            if n == 0:
                office_id = ident.id
        info = open_round(
            s, plan=plan, fiscal_year=2024, deadline=date(2025, 5, 30), opens_on=date(2025, 4, 1)
        )
        now = datetime.now(UTC)
        for n in range(burst):  # several messages to one channel: paced at 1/s
            insert_if_absent(
                s,
                key=f"burst:{n}",
                round_id=info.id,
                identity_id=office_id,
                department_id=None,
                purpose=PURPOSE_FAILURE,
                due_at=now,
                payload={"text": f"burst {n}"},
                now=now,
            )
        return info.id, office_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slack", type=int, default=2000, help="Slack channels")
    parser.add_argument("--line", type=int, default=3000, help="LINE users")
    parser.add_argument("--burst", type=int, default=5, help="extra messages to one channel")
    parser.add_argument("--workers", type=int, default=8, help="delivery threads")
    parser.add_argument("--latency", type=float, default=0.0, help="fake API latency (s)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'fanout.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with console.status("building the plan and linking targets…"):
        round_id, _ = build_round(factory, slack=args.slack, line=args.line, burst=args.burst)
    api = FakeApi(args.latency)
    slack, line = HttpMessenger("slack", api.url), HttpMessenger("line", api.url)
    messengers = rate_limited({"slack": slack, "line": line})
    total = args.slack + args.line + args.burst
    started = time.monotonic()
    # Enqueue every request (what the scheduler's tick does), then deliver with several
    # workers at once, each claiming its own batches (SKIP LOCKED on PostgreSQL).
    now = datetime.now(UTC)
    with transaction(factory) as s:
        rnd = s.get_one(Round, round_id)
        sends = ask_sends(s, rnd=rnd, purpose=PURPOSE_REQUEST, day=now.date(), due_at=now)
        enqueue(s, sends, now=now)
    enqueued = time.monotonic()
    with Progress(
        TextColumn("fan-out"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("send", total=total)
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = [
                pool.submit(deliver_due, factory, messengers, worker=f"w{n}", now=now)
                for n in range(args.workers)
            ]
            while not all(f.done() for f in futures):
                progress.update(task, completed=len(api.calls))
                time.sleep(0.1)
            for f in futures:
                f.result()
            progress.update(task, completed=len(api.calls))
    finished = time.monotonic()

    with transaction(factory) as s:
        statuses = dict(
            s.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
        )
    keys = Counter(key for _, _, key, _ in api.calls)
    per_channel: dict[str, list[float]] = defaultdict(list)
    for channel, at in slack.starts:
        per_channel[channel].append(at)
    slack_gaps = [
        b - a
        for times in per_channel.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    line_times = [at for _, at in line.starts]
    line_times.sort()
    peak, lo = 0, 0
    for hi, at in enumerate(line_times):
        while at - line_times[lo] >= 1.0:
            lo += 1
        peak = max(peak, hi - lo + 1)
    elapsed = finished - enqueued
    table = Table(
        title=f"fan-out: {total} messages, {args.workers} workers ({engine.dialect.name})"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in (
        ("enqueue (s)", f"{enqueued - started:.2f}"),
        ("deliver (s)", f"{elapsed:.2f}"),
        ("messages / s", f"{len(api.calls) / elapsed:.0f}" if elapsed else "-"),
        ("Slack posts", str(sum(1 for c in api.calls if c[0] == "slack"))),
        ("LINE pushes", str(sum(1 for c in api.calls if c[0] == "line"))),
        ("LINE peak requests in any 1 s (limit 2,000)", str(peak)),
        (
            "Slack smallest gap between sends to one channel (s, ≥ 1)",
            f"{min(slack_gaps):.3f}" if slack_gaps else "-",
        ),
        ("keys delivered more than once", str(sum(1 for c in keys.values() if c > 1))),
        ("outbox rows by status", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))),
    ):
        table.add_row(name, value)
    console.print(table)
    engine.dispose()


if __name__ == "__main__":
    main()
