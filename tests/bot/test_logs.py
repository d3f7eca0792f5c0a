"""Logging from the settings: level, text or JSON lines, quiet libraries, no secrets."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.logs import configure_logging
from bot.settings import Settings
from tests.fakes.line_api import running_fake_line_api
from tests.fakes.slack_api import FakeSlackApi

BOT_TOKEN = "xoxb-secret-bot-token-4f1c"
SIGNING_SECRET = "signing-secret-9a7e"
LINE_SECRET = "line-channel-secret-77d2"
LINE_TOKEN = "line-access-token-3b8f"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, LINE_SECRET, LINE_TOKEN)


@pytest.fixture(autouse=True)
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("apscheduler", "alembic"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_text_lines_at_the_configured_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_level="WARNING"))
    logging.getLogger("hokoku.test").info("not shown")
    logging.getLogger("hokoku.test").warning("shown %d", 1)
    err = capsys.readouterr().err
    assert "not shown" not in err
    assert "WARNING hokoku.test: shown 1" in err


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_format="json"))
    logging.getLogger("hokoku.test").info("送信 %d 件", 3)
    (line,) = [x for x in capsys.readouterr().err.splitlines() if "hokoku.test" in x]
    record = json.loads(line)
    assert (record["level"], record["name"], record["message"]) == (
        "INFO",
        "hokoku.test",
        "送信 3 件",
    )
    assert "time" in record


def run_one_job(level: str) -> None:
    """A real APScheduler job run once, with logging configured at `level`."""
    configure_logging(Settings(log_level=level))
    ran = threading.Event()
    scheduler = BackgroundScheduler()
    scheduler.add_job(ran.set, "interval", hours=1, next_run_time=datetime.now(UTC))
    scheduler.start()
    assert ran.wait(10)
    scheduler.shutdown(wait=True)


def test_apscheduler_info_lines_only_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    run_one_job("INFO")
    quiet = capsys.readouterr().err
    assert "Running job" not in quiet and "executed successfully" not in quiet
    run_one_job("DEBUG")
    chatty = capsys.readouterr().err
    assert "Running job" in chatty and "executed successfully" in chatty


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def serve_start_up(tmp_path: Path, fake_slack: FakeSlackApi, line_url: str, **extra: str) -> str:
    """Start the real `hokoku serve` (Slack + LINE + scheduler), wait for a scheduler tick
    in /healthz, stop it like a service manager does; return everything it printed."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "HOKOKU_", "SLACK_"))}
    env.update(
        HOKOKU_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        HOKOKU_SCHEDULER_INTERVAL="1",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        LINE_CHANNEL_SECRET=LINE_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN,
        LINE_API_URL=line_url,
        **extra,
    )
    hokoku = Path(sys.executable).parent / "hokoku"
    proc = subprocess.Popen(
        [str(hokoku), "serve", "--port", str(port), "--host", "127.0.0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(300):  # bounded: at most ~60 s
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
            except httpx.TransportError:
                health = {}
            if (health.get("scheduler") or {}).get("last_tick"):
                break
            time.sleep(0.2)
        else:
            pytest.fail("hokoku serve did not become healthy")
        assert health["platforms"] == ["slack", "line"]
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    return output


def test_serve_start_up_never_logs_a_secret(tmp_path: Path, fake_slack: FakeSlackApi) -> None:
    with running_fake_line_api() as line:
        debug = serve_start_up(tmp_path, fake_slack, line.url, HOKOKU_LOG_LEVEL="DEBUG")
        as_json = serve_start_up(tmp_path, fake_slack, line.url, HOKOKU_LOG_FORMAT="json")
    # DEBUG shows everything there is: slack_sdk's requests, APScheduler's job lines.
    assert "auth.test" in debug and "Running job" in debug, debug
    assert "Application startup complete" in debug
    for secret in SECRETS:
        assert secret not in debug and secret not in as_json
    # JSON: every log line is one JSON object (uvicorn's own lines included).
    records = [json.loads(line) for line in as_json.splitlines() if line.startswith("{")]
    assert {"Application startup complete.", "starting scheduler"} <= {
        r["message"] for r in records
    }
    assert "Running job" not in as_json  # INFO: APScheduler stays quiet
    plain = [line for line in as_json.splitlines() if line and not line.startswith("{")]
    assert plain == [next(line for line in plain if line.startswith("hokoku serve:"))]
