"""Real `hokoku serve` processes against the fake Slack and LINE APIs, for the tests of
several workers and replicas (tests/bot/test_serve_workers.py) and benchmarks/replay.py."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.bot.deliveries import LINE_SECRET, SLACK_SECRET
from tests.fakes.line_api import FakeLineApi
from tests.fakes.slack_api import FakeSlackApi

SECRET = "workers-test-secret-key-0123456789abcdef"

# Where the scheduler's clock of a Serve starts (tests/bot/scheduler_clock): a business day
# after the deadline of the test round (tests.factories.open_test_round), in the send
# window, so the round's chases are due whenever the suite runs, night or weekend.
SCHEDULER_NOW = "2024-06-10T10:00:00+09:00"
CLOCK_SHIM = Path(__file__).parent / "scheduler_clock"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def platform_env(
    database_url: str, fake_slack: FakeSlackApi, line_api: FakeLineApi
) -> dict[str, str]:
    """The environment of a real `hokoku serve` subprocess: this one's without any hokoku,
    Slack or LINE setting, then the database and both platforms against the fakes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "HOKOKU_", "SLACK_"))}
    env.update(
        {
            "HOKOKU_DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-intake",
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_API_URL": fake_slack.url,
            "LINE_CHANNEL_SECRET": LINE_SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": "line-intake-token",
            "LINE_API_URL": line_api.url,
        }
    )
    return env


def serve_command(port: int, *options: str) -> list[str]:
    """`hokoku serve` of this environment on 127.0.0.1:`port`, with `options`."""
    hokoku = Path(sys.executable).parent / "hokoku"
    return [str(hokoku), "serve", "--port", str(port), "--host", "127.0.0.1", *options]


class Serve:
    """One real `hokoku serve --workers N` (Slack and LINE against the fake APIs, its
    scheduler ticking every `scheduler_interval` seconds from SCHEDULER_NOW on, the first
    tick at start) on a free port; its output goes to a log file in `cwd`."""

    def __init__(
        self,
        database_url: str,
        fake_slack: FakeSlackApi,
        line_api: FakeLineApi,
        cwd: Path,
        *,
        workers: int,
        scheduler_interval: int = 1,
    ) -> None:
        self.env = platform_env(database_url, fake_slack, line_api)
        self.env.update(
            {
                "HOKOKU_SECRET_KEY": SECRET,
                "HOKOKU_SCHEDULER_INTERVAL": str(scheduler_interval),
                "HOKOKU_TEST_SCHEDULER_NOW": SCHEDULER_NOW,
                "PYTHONPATH": os.pathsep.join(
                    [str(CLOCK_SHIM), *filter(None, [os.environ.get("PYTHONPATH")])]
                ),
            }
        )
        self.cwd = cwd
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = cwd / f"serve-{self.port}.log"

    def start(self) -> Serve:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                serve_command(self.port, "--workers", str(self.workers)),
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers with it, to stop them all on failure
            )
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"hokoku serve did not come up:\n{self.output()}")

    def health(self) -> dict[str, Any]:
        # A new connection each time: the kernel hands it to one of the workers.
        with httpx.Client(timeout=5) as http:
            body: dict[str, Any] = http.get(f"{self.url}/healthz").json()
        return body

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> str:
        """SIGTERM, as a service manager stops it; the parent stops its workers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return self.output()

    def kill_group(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):  # the workers left with the parent
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def sent_keys(fake_slack: FakeSlackApi, line_api: FakeLineApi) -> list[str]:
    """The key of every message the platforms were asked to deliver, repeats kept (Slack: the
    purpose key in the message's metadata; LINE: the X-Line-Retry-Key made from it)."""
    keys = []
    for call in fake_slack.of("chat.postMessage"):
        metadata = call.json_field("metadata") or {}
        if metadata.get("event_type") == "hokoku_notification":
            keys.append(metadata["event_payload"]["key"])
    keys += [c.retry_key for c in line_api.pushes if c.retry_key]
    return keys


def workers_of(serve: Serve, count: int = 2) -> dict[int, dict[str, Any]]:
    """Each worker's /healthz, by pid: the kernel picks a worker per connection, so ask, 8 at
    a time, until `count` of them have answered."""
    seen: dict[int, dict[str, Any]] = {}
    with ThreadPoolExecutor(8) as pool:
        for _ in range(50):
            seen.update((body["pid"], body) for body in pool.map(Serve.health, [serve] * 8))
            if len(seen) >= count:
                break
    return seen
