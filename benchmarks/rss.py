"""Memory benchmark: the idle resident memory of `hokoku serve` beside a bare slack_bolt app.

    .venv/bin/python benchmarks/rss.py [--idle 3]

Starts a fake Slack Web API (tests/fakes, answers auth.test), then, one after the other:
a bare slack_bolt App with one message listener served the same way hokoku serves it
(Starlette route, uvicorn), and `hokoku serve` with Slack and LINE configured (fake tokens;
the scheduler on; a fresh SQLite database, migrated by a first command beforehand). Each
server is asked `GET /healthz` until it answers, left idle for `--idle` seconds, and its
VmRSS read from /proc. Prints both, the ratio, and the load average. Linux only. Not a
test: nothing here asserts memory.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

BARE_APP = """
import sys
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

app = App(signing_secret="s", client=WebClient(token="xoxb-1", base_url=sys.argv[1]))

@app.message("")
def echo(message, say):
    say(message["text"])

handler = SlackRequestHandler(app)

async def events(request: Request):
    return await handler.handle(request)

async def healthz(request: Request):
    return JSONResponse({"status": "ok"})

uvicorn.run(
    Starlette(routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz)]),
    host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _idle_rss(args: list[str], *, port: int, env: dict[str, str], cwd: Path, idle: float) -> float:
    process = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        time.sleep(idle)
        return _rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=3.0)
    idle = parser.parse_args().idle
    api = FakeSlackApi().start()
    hokoku = str(Path(sys.executable).parent / "hokoku")
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        env = {
            **os.environ,
            "HOKOKU_DATABASE_URL": f"sqlite:///{cwd / 'hokoku.db'}",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": api.url,
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": "t",
            "LINE_API_URL": "http://127.0.0.1:9",  # never contacted while idle
            "HOKOKU_LOG_LEVEL": "WARNING",
        }
        subprocess.run([hokoku, "db", "upgrade"], env=env, cwd=cwd, check=True, capture_output=True)
        load_before = os.getloadavg()
        port = _free_port()
        bare = _idle_rss(
            [sys.executable, "-c", BARE_APP, api.url, str(port)],
            port=port,
            env=env,
            cwd=cwd,
            idle=idle,
        )
        port = _free_port()
        served = _idle_rss(
            [hokoku, "serve", "--host", "127.0.0.1", "--port", str(port)],
            port=port,
            env=env,
            cwd=cwd,
            idle=idle,
        )
        load_after = os.getloadavg()
    api.stop()
    table = Table(title=f"Idle RSS after {idle:g} s (MiB)", title_justify="left")
    table.add_column("server")
    table.add_column("RSS", justify="right")
    table.add_row("bare slack_bolt app (Starlette, uvicorn)", f"{bare:.1f}")
    table.add_row("hokoku serve (Slack + LINE, scheduler)", f"{served:.1f}")
    table.add_row("ratio", f"{served / bare:.2f}")
    Console().print(table)
    print(
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )


if __name__ == "__main__":
    main()
