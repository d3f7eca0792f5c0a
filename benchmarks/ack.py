"""How fast Slack gets its answer: hokoku beside a bare bolt app, in one run.

Three apps, each served the same way (Starlette under uvicorn in a process of its own,
bolt's `dispatch` in the threadpool, `process_before_response=True`), all three at once,
get the same signed requests over HTTP, taking turns at each point (a slice of its
requests each, A B C then B C A …: a machine whose other jobs come and go weighs on all
three alike): `bare` (listeners only ack), `bare+commit` (listeners commit one row
before acking: the floor for an app that, like hokoku, acknowledges only what is stored)
and `hokoku` (the real app). Its replies go to a fake Slack Web API in this process.

Scenarios: a DM answer (`12 B comment`), a modal page submission (view_submission of a
10-item page, stored) and `/hokoku status` (office member, whole round), each at 1, 10
and 50 requests in flight, on SQLite and PostgreSQL (a scratch database). Prints per
point: ack p50/p99 of each app, hokoku's p99 over bare+commit's (the floor for an app that
acks only what it stored) and over bare's, the server's CPU per request (its acks and the
replies posted after them: all its threads, and its reply process, bot.slack.reply_process)
beside bare+commit's, the load average, acks past Slack's 3 s, and for DM answers acks per
second beside answers stored per second (rows in the database when the last ack returned)
and replies per second (chat.postMessage, counted when they have all arrived).

    .venv/bin/python benchmarks/ack.py                  # 200 requests per point
    .venv/bin/python benchmarks/ack.py --quick          # 60 per point
    .venv/bin/python benchmarks/ack.py --only sqlite --scenario dm --in-flight 50
    .venv/bin/python benchmarks/ack.py --app hokoku --scenario dm --profile /tmp/ack  # py-spy

The load comes from one asyncio task per connection speaking HTTP/1.1 by hand (kept-alive
connections, opened before the clock starts): an httpx client spends milliseconds of CPU
per request at 50 connections, which the servers on the same 2 cores would pay for.
HOKOKU_ACK_TRACE=FILE writes each server's own time per request (ASGI call to last byte)
to FILE.<app> and prints the client's CPU time per point, to tell the two apart.
HOKOKU_ACK_WALL=1 makes --profile sample wall-clock time instead of time holding the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fakes live with the tests

from slack_sdk.signature import SignatureVerifier

from bot.slack import ids
from bot.slack.answer_form import FormMeta
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.organization.identities import link_identity
from models import ReportRevision
from models.db import make_engine, make_session_factory, transaction, upgrade
from tests.factories import build_plan, open_test_round
from tests.fakes.slack_api import FakeSlackApi
from tests.scratch_postgres import scratch_database

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "ack-bench-secret"
TOKEN = "xoxb-ack-bench"
DEPARTMENTS = 50
ITEMS_EACH = 10
SLACK_LIMIT_MS = 3000.0
APPS = ("bare", "bare+commit", "hokoku")
SCENARIOS = ("dm", "modal", "status")
SCENARIO_NAMES = {"dm": "DM answer", "modal": "modal page (10 items)", "status": "/hokoku status"}


# ---------------------------------------------------------------------------- the servers


def _bare_app(database_url: str | None, slack_api_url: str) -> Any:
    """A bolt app as its docs show it, served like hokoku's; with a database URL its
    listeners commit one row before acking."""
    from slack_bolt import Ack, App
    from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
    from slack_sdk import WebClient
    from sqlalchemy import text
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from bot.settings import Settings

    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=slack_api_url),
        process_before_response=True,
    )
    note: Callable[[], None] = lambda: None  # noqa: E731
    if database_url is not None:
        engine = make_engine(database_url, Settings(database_url=database_url).pool(serving=True))
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS bench_acks (note VARCHAR(40))"))

        def note() -> None:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO bench_acks (note) VALUES (:n)"), {"n": "x"})

    def only_ack(ack: Ack) -> None:
        note()
        ack()

    app.event("message")(only_ack)
    app.command("/hokoku")(only_ack)
    app.view(ids.CALLBACK_ANSWER)(only_ack)

    async def events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def _hokoku_app(database_url: str, slack_api_url: str, organization_id: int) -> Any:
    from pydantic import SecretStr

    from bot.runtime import Runtime
    from bot.server import build_app
    from bot.settings import Settings

    settings = Settings(
        database_url=database_url,
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=slack_api_url,
    )
    engine = make_engine(database_url, settings.pool(serving=True))
    runtime = Runtime(
        settings=settings,
        engine=engine,
        factory=make_session_factory(engine),
        organization_id=organization_id,
    )
    return build_app(settings, runtime)


def _serve(kind: str, port: int, database_url: str, slack_api_url: str, org: int) -> None:
    """The server process: one app under uvicorn (optionally under py-spy, see --profile)."""
    import logging

    import uvicorn

    logging.basicConfig(level=os.environ.get("HOKOKU_ACK_LOG", "WARNING"))
    if kind == "hokoku":
        app = _hokoku_app(database_url, slack_api_url, org)
    else:
        app = _bare_app(database_url if kind == "bare+commit" else None, slack_api_url)
    trace = os.environ.get("HOKOKU_ACK_TRACE")
    if trace:
        inner, times = app, []

        async def app(scope: Any, receive: Any, send: Any) -> None:  # type: ignore[no-redef]
            if scope["type"] != "http" or scope["path"] != "/slack/events":
                return await inner(scope, receive, send)
            start = time.perf_counter()
            await inner(scope, receive, send)
            times.append((start, (time.perf_counter() - start) * 1000))
            if len(times) % 100 == 0:
                Path(f"{trace}.{kind}").write_text("\n".join(f"{a:.4f} {b:.2f}" for a, b in times))

    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", timeout_keep_alive=60
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far, all its threads, and its child processes'
        (hokoku's reply process: bot.slack.reply_process) (Linux)."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid, _, rest = stat.read_text().partition(" (")
                fields = rest.rpartition(")")[2].split()
            except OSError:  # a process that ended while it was read
                continue
            if int(pid) == self.pid or int(fields[1]) == self.pid:  # itself, or its child
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(
    kind: str, database_url: str, slack_api_url: str, org: int, profile: str | None = None
) -> Iterator[Served]:
    """The app `kind` served in a process of its own; `profile`: py-spy's collapsed stacks
    of hokoku's process go to that file (py-spy from PyPI)."""
    port = _free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(kind, port, database_url, slack_api_url, org), daemon=True
    )
    process.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code < 500:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not process.is_alive():
            raise RuntimeError(f"{kind} server did not start")
        time.sleep(0.1)
    spy = None
    if profile is not None and kind == "hokoku":
        py_spy = str(Path(sys.executable).with_name("py-spy"))
        options = ["--format", "raw", "--rate", "200", "--nonblocking"] + (
            [] if os.environ.get("HOKOKU_ACK_WALL") else ["--gil"]
        )
        spy = subprocess.Popen(
            [py_spy, "record", *options, "-p", str(process.pid), "-o", profile],
            stdout=subprocess.DEVNULL,
        )
    try:
        assert process.pid is not None
        yield Served(base, process.pid)
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        process.terminate()
        process.join(10)


class SlackApiProcess:
    """The fake Slack Web API in a process of its own, as Slack is on machines of its own:
    in the load's process, its threads took the interpreter from the client while hokoku's
    replies arrived, and the client's clock ran on while it waited (the bare apps post
    nothing, so only hokoku's acks looked slower). The load asks it for counts by pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(target=_serve_slack_api, args=(theirs,), daemon=True)

    def start(self) -> SlackApiProcess:
        self._process.start()
        self.url: str = self._pipe.recv()
        return self

    def count(self, method: str | None = None) -> int:
        """Calls of `method` so far (None: every call)."""
        self._pipe.send(method)
        return int(self._pipe.recv())

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(10)


def _serve_slack_api(pipe: Any) -> None:
    api = FakeSlackApi().start()
    pipe.send(api.url)
    while True:
        method = pipe.recv()
        pipe.send(len(api.calls) if method is None else len(api.of(method)))


# ---------------------------------------------------------------------------- the office


@dataclass(frozen=True)
class Office:
    organization_id: int
    round_id: int
    departments: list[int]  # department ids; member `U{d}` answers for departments[d]
    office_user: str = "UOFFICE"


def seed(url: str) -> Office:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    names = [f"課{d:02d}" for d in range(DEPARTMENTS)]
    items = [(f"取組{d}-{i}", [names[d]]) for d in range(DEPARTMENTS) for i in range(ITEMS_EACH)]
    with transaction(factory) as session:
        plan = build_plan(session, items=items)
        info = open_test_round(session, plan)
        org = get_or_create_organization(session, name="default").id
        departments = []
        for d, name in enumerate(names):
            department = find_department(session, organization_id=org, name=name)
            departments.append(department.id)
            link_identity(session, department=department, platform="slack", external_id=f"U{d}")
        link_identity(
            session,
            department=find_department(session, organization_id=org, name=names[0]),
            platform="slack",
            external_id="UOFFICE",
            role="office",
        )
    engine.dispose()
    return Office(org, info.id, departments)


# ---------------------------------------------------------------------------- the requests


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    content_type: str

    def headers(self) -> dict[str, str]:
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(
            timestamp=timestamp, body=self.body.decode()
        )
        return {
            "Content-Type": self.content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature or "",
        }


def _dm(office: Office, n: int, tag: str) -> SignedRequest:
    d = n % DEPARTMENTS
    item = d * ITEMS_EACH + (n // DEPARTMENTS) % ITEMS_EACH + 1
    payload = {
        "token": "x",
        "team_id": "T0BENCH",
        "api_app_id": "A0BENCH",
        "type": "event_callback",
        "event_id": f"Ev{tag}{n:06d}",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": f"DU{d}",
            "user": f"U{d}",
            "text": f"{item} {'ABCD'[n % 4]} {tag}-{n:06d} 市広報紙で周知した",
            "ts": f"{time.time():.6f}",
        },
    }
    return SignedRequest(json.dumps(payload, ensure_ascii=False).encode(), "application/json")


def _modal(office: Office, n: int, tag: str) -> SignedRequest:
    d = n % DEPARTMENTS
    values: dict[str, Any] = {}
    for number in range(d * ITEMS_EACH + 1, d * ITEMS_EACH + ITEMS_EACH + 1):
        values[ids.grade_block(number)] = {
            ids.ACTION_GRADE: {
                "type": "static_select",
                "selected_option": {"value": "ABCD"[(n + number) % 4]},
            }
        }
        values[ids.comment_block(number)] = {
            ids.ACTION_COMMENT: {"type": "plain_text_input", "value": f"{tag}-{n} 第{number}項"}
        }
    view = {
        "id": f"V{tag}{n:06d}",
        "hash": "h1",
        "type": "modal",
        "callback_id": ids.CALLBACK_ANSWER,
        "private_metadata": FormMeta(office.round_id, office.departments[d], 0).dump(),
        "state": {"values": values},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0BENCH"},
        "api_app_id": "A0BENCH",
        "token": "x",
        "user": {"id": f"U{d}"},
        "view": view,
    }
    body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
    return SignedRequest(body.encode(), "application/x-www-form-urlencoded")


def _status(office: Office, n: int, tag: str, slack_api_url: str) -> SignedRequest:
    body = urlencode(
        {
            "token": "x",
            "team_id": "T0BENCH",
            "channel_id": "C0GENERAL",
            "user_id": office.office_user,
            "command": "/hokoku",
            "text": "status",
            "api_app_id": "A0BENCH",
            "response_url": slack_api_url.removesuffix("/api/") + "/response/1",
            "trigger_id": f"trig-{tag}-{n}",
        }
    )
    return SignedRequest(body.encode(), "application/x-www-form-urlencoded")


def requests_for(
    scenario: str, office: Office, count: int, slack_api_url: str
) -> tuple[str, list[SignedRequest]]:
    tag = uuid.uuid4().hex[:8]
    if scenario == "dm":
        return tag, [_dm(office, n, tag) for n in range(count)]
    if scenario == "modal":
        return tag, [_modal(office, n, tag) for n in range(count)]
    return tag, [_status(office, n, tag, slack_api_url) for n in range(count)]


# ---------------------------------------------------------------------------- the load


@dataclass
class Timing:
    latencies: list[float]  # ms, sorted
    statuses: dict[int, int]
    seconds: float

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return self.latencies[max(0, round(len(self.latencies) * 0.99) - 1)]

    @property
    def late(self) -> int:
        return sum(ms > SLACK_LIMIT_MS for ms in self.latencies)

    @classmethod
    def joined(cls, parts: list[Timing]) -> Timing:
        """The timings of one app's turns at a point, as one."""
        statuses: dict[int, int] = {}
        for part in parts:
            for status, n in part.statuses.items():
                statuses[status] = statuses.get(status, 0) + n
        return cls(
            sorted(ms for part in parts for ms in part.latencies),
            statuses,
            sum(part.seconds for part in parts),
        )


class _Connection:
    """One kept-alive HTTP/1.1 connection, spoken by hand: httpx's async pool costs several
    milliseconds of CPU per request at 50 connections, which on a 2-core machine the
    servers measured here would pay for."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return await self._exchange(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
            f"{head}\r\n".encode()
            + body
        )

    async def get(self, path: str) -> int:
        return await self._exchange(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())

    async def _exchange(self, request: bytes) -> int:
        """Send one request, read its response (Starlette always sends Content-Length)."""
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _load(base: str, requests: list[SignedRequest], in_flight: int) -> Timing:
    queue: asyncio.Queue[SignedRequest] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    address = httpx.URL(base)
    connections = [_Connection(address.host, address.port or 80) for _ in range(in_flight)]

    async def worker(connection: _Connection) -> None:
        while not queue.empty():
            request = queue.get_nowait()
            headers = request.headers()
            start = time.perf_counter()
            try:
                status = await connection.post("/slack/events", request.body, headers)
            except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
                status = 0  # no answer at all: counted, shown beside the statuses
                connection.close()
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1

    # Connections opened before the clock starts (Slack keeps its connections alive).
    await asyncio.gather(*(c.get("/healthz") for c in connections))
    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    seconds = time.perf_counter() - began
    for c in connections:
        c.close()
    return Timing(sorted(latencies), statuses, seconds)


def load(base: str, requests: list[SignedRequest], in_flight: int) -> Timing:
    cpu = time.process_time()
    timing = asyncio.run(_load(base, requests, in_flight))
    if os.environ.get("HOKOKU_ACK_TRACE"):
        print(f"client cpu {time.process_time() - cpu:.2f} s of {timing.seconds:.2f} s")
    return timing


# ---------------------------------------------------------------------------- one database


@dataclass
class Point:
    database: str
    scenario: str
    in_flight: int
    timings: dict[str, Timing]
    cpu_ms: dict[str, float] = field(default_factory=dict)  # server CPU per request, per app
    loads: list[float] = field(default_factory=list)  # 1-minute load average after each turn
    acked_per_s: float = 0.0
    stored_per_s: float = 0.0
    replied_per_s: float = 0.0


def _stored(url: str, tag: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(ReportRevision)
                    .where(ReportRevision.comment.like(f"{tag}-%"))
                )
                or 0
            )
    finally:
        engine.dispose()


def _wait_for(api: SlackApiProcess, method: str, count: int, timeout: float = 120.0) -> float:
    """Seconds (from now) until `count` calls of `method` arrived (or the timeout)."""
    began = time.perf_counter()
    while api.count(method) < count and time.perf_counter() - began < timeout:
        time.sleep(0.02)
    return time.perf_counter() - began


def _quiet(api: SlackApiProcess, still: float = 0.5, timeout: float = 120.0) -> None:
    """Wait until no Web API call arrived for `still` seconds."""
    began = time.perf_counter()
    seen = -1
    while time.perf_counter() - began < timeout:
        now = api.count()
        if now == seen:
            return
        seen = now
        time.sleep(still)


def slices_of(count: int, in_flight: int) -> int:
    """How many turns each app takes at a point: up to 4, each of at least twice the
    requests in flight (a turn of fewer requests than that would not keep them in flight)."""
    return max(1, min(4, count // max(2 * in_flight, 1)))


def run_database(
    url: str,
    label: str,
    *,
    scenarios: list[str],
    in_flights: list[int],
    count: int,
    apps: list[str],
    console: Console,
    profile: str | None = None,
) -> list[Point]:
    """Every app served at once; at each point the apps take turns (A B C, then B C A …),
    each turn a slice of the point's requests, so that a machine that slows down or speeds
    up during the run (other jobs on its cores) weighs on every app alike."""
    office = seed(url)
    api = SlackApiProcess().start()
    points: list[Point] = []
    try:
        with ExitStack() as stack:
            servers = {
                app: stack.enter_context(
                    served(
                        app,
                        url,
                        api.url,
                        office.organization_id,
                        f"{profile}-{label}.txt" if profile else None,
                    )
                )
                for app in apps
            }
            for scenario in scenarios:
                for app in apps:
                    _, warm = requests_for(scenario, office, 20, api.url)
                    load(servers[app].base, warm, 5)
                _quiet(api)
                for in_flight in in_flights:
                    point = Point(label, scenario, in_flight, {})
                    _measure(point, servers, office, api, url, count=count)
                    points.append(point)
                    for app in apps:
                        timing = point.timings[app]
                        console.print(
                            f"  {label} {app:11} {scenario:6} ×{in_flight:<3} "
                            f"p50 {timing.p50:7.1f} ms  p99 {timing.p99:7.1f} ms  "
                            f"cpu {point.cpu_ms[app]:5.1f} ms/req  "
                            f"{timing.statuses}  load {max(point.loads):.2f}"
                        )
    finally:
        api.stop()
    return points


def _measure(
    point: Point,
    servers: dict[str, Served],
    office: Office,
    api: SlackApiProcess,
    url: str,
    *,
    count: int,
) -> None:
    """One point: each app's requests in slices, the apps taking turns slice by slice."""
    apps = list(servers)
    turns = slices_of(count, point.in_flight)
    timings: dict[str, list[Timing]] = {app: [] for app in apps}
    cpu = dict.fromkeys(apps, 0.0)
    stored = replied = 0
    replied_seconds = 0.0
    for turn in range(turns):
        size = count // turns + (1 if turn < count % turns else 0)
        for app in apps[turn % len(apps) :] + apps[: turn % len(apps)]:
            server = servers[app]
            tag, requests = requests_for(point.scenario, office, size, api.url)
            posted = api.count("chat.postMessage")
            used = server.cpu_seconds()
            timing = load(server.base, requests, point.in_flight)
            timings[app].append(timing)
            point.loads.append(os.getloadavg()[0])
            if app == "hokoku":
                if point.scenario == "dm":
                    stored += _stored(url, tag)
                    rest = _wait_for(api, "chat.postMessage", posted + size)
                    replied += api.count("chat.postMessage") - posted
                    replied_seconds += timing.seconds + rest
                _quiet(api)  # its replies are all posted before the next turn
            # The server's CPU for its turn: the acks, and the replies posted after them.
            cpu[app] += server.cpu_seconds() - used
    for app in apps:
        point.timings[app] = Timing.joined(timings[app])
        point.cpu_ms[app] = cpu[app] * 1000 / count
    if "hokoku" in servers and point.scenario == "dm":
        point.acked_per_s = count / point.timings["hokoku"].seconds
        point.stored_per_s = stored / point.timings["hokoku"].seconds
        point.replied_per_s = replied / replied_seconds


# ---------------------------------------------------------------------------- the table


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def print_table(console: Console, points: list[Point], apps: list[str]) -> None:
    load1, load5, _ = os.getloadavg()
    table = Table(
        title=f"Slack ack latency, ms (load average {load1:.2f} / {load5:.2f}, {os.cpu_count()} cores)"
    )
    columns = ["scenario", "in flight", "DB"]
    columns += [f"{app} p50/p99" for app in apps]
    columns += ["p99 ÷ bare+commit", "p99 ÷ bare", "CPU ms/req ÷ bare+commit", "load", "past 3 s"]
    columns += ["DM acked/s · stored/s · replied/s"]
    for column in columns:
        table.add_column(column, justify="right")
    for p in points:
        cells = [SCENARIO_NAMES[p.scenario], str(p.in_flight), p.database]
        for app in apps:
            t = p.timings.get(app)
            cells.append(f"{_ms(t.p50)} / {_ms(t.p99)}" if t else "–")
        bare, hokoku = p.timings.get("bare"), p.timings.get("hokoku")
        floor = p.timings.get("bare+commit")
        cells.append(f"{hokoku.p99 / floor.p99:.1f}×" if floor and hokoku else "–")
        cells.append(f"{hokoku.p99 / bare.p99:.1f}×" if bare and hokoku else "–")
        cpu, cpu_floor = p.cpu_ms.get("hokoku"), p.cpu_ms.get("bare+commit")
        cells.append(
            f"{cpu:.1f} ÷ {cpu_floor:.1f} = {cpu / cpu_floor:.1f}×"
            if cpu and cpu_floor
            else (f"{cpu:.1f}" if cpu else "–")
        )
        cells.append(
            "–".join(dict.fromkeys(f"{x:.1f}" for x in (min(p.loads), max(p.loads))))
            if p.loads
            else "–"
        )
        cells.append(str(hokoku.late) if hokoku else "–")
        cells.append(
            f"{p.acked_per_s:.0f} · {p.stored_per_s:.0f} · {p.replied_per_s:.0f}"
            if p.scenario == "dm" and hokoku
            else ""
        )
        table.add_row(*cells)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per point (200)")
    parser.add_argument("--quick", action="store_true", help="60 requests per point")
    parser.add_argument(
        "--in-flight", type=int, action="append", help="requests at once (1, 10 and 50)"
    )
    parser.add_argument("--scenario", choices=SCENARIOS, action="append")
    parser.add_argument("--app", choices=APPS, action="append", help="apps to run (all three)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="py-spy hokoku's server into PREFIX-<DB>.txt"
    )
    parser.add_argument(
        "--database-url", default=PG_DEFAULT, help="PostgreSQL server for the scratch database"
    )
    args = parser.parse_args()
    count = 60 if args.quick else args.requests
    in_flights = args.in_flight or [1, 10, 50]
    scenarios = args.scenario or list(SCENARIOS)
    apps = [app for app in APPS if app in (args.app or APPS)]
    console = Console(width=200)
    points: list[Point] = []
    kwargs: dict[str, Any] = dict(
        scenarios=scenarios,
        in_flights=in_flights,
        count=count,
        apps=apps,
        console=console,
        profile=args.profile,
    )
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            points += run_database(f"sqlite:///{folder}/ack.db", "SQLite", **kwargs)
    if args.only in (None, "postgresql"):
        try:
            with scratch_database(args.database_url, prefix="hokoku_bench") as url:
                points += run_database(url, "PostgreSQL", **kwargs)
        except OperationalError as exc:
            console.print(f"PostgreSQL skipped: {exc.orig}")
    print_table(console, points, apps)


if __name__ == "__main__":
    main()
