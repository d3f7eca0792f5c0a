"""`hokoku serve` refuses clearly (one line, exit 1) when too little is configured, and
serves the web console alone when no chat platform is configured."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.fakes.slack_api import FakeSlackApi

REPO = Path(__file__).resolve().parents[3]
ENV_KEYS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "LINE_CHANNEL_SECRET")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    return {"HOKOKU_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}


def run(env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["serve"], env=env)
    return result.exit_code, result.output


def test_no_chat_platform_serves_the_web_console(env: dict[str, str], tmp_path: Path) -> None:
    """An office on the web console and e-mail alone: `serve` starts, /web/ asks for a link."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
        ],
        cwd=tmp_path,
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["platforms"] == []
        console = httpx.get(f"http://127.0.0.1:{port}/web/", timeout=10)
        assert console.status_code == 401 and "サインインしてください" in console.text
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "web" in output and "/web/" in output and "Traceback" not in output


def test_missing_signing_secret(env: dict[str, str]) -> None:
    code, output = run({**env, "SLACK_BOT_TOKEN": "xoxb-1"})
    assert code == 1
    assert "SLACK_SIGNING_SECRET が設定されていません" in output and "Traceback" not in output


def test_socket_mode_without_app_token(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        app,
        ["serve", "--socket-mode"],
        env={**env, "SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "s"},
    )
    assert result.exit_code == 1 and "SLACK_APP_TOKEN" in result.output


def test_unreachable_slack_is_one_line(env: dict[str, str]) -> None:
    api = FakeSlackApi()  # bound but never started, then closed: connection refused
    url = api.url
    api.server.server_close()
    code, output = run(
        {**env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": url}
    )
    assert code == 1 and "Slack に接続できません" in output and "Traceback" not in output


def test_malformed_closed_days_stop_serve_with_one_line(env: dict[str, str]) -> None:
    code, output = run(
        {
            **env,
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": "t",
            "HOKOKU_CLOSED_DAYS": "創立記念日",
        }
    )
    assert code == 1
    assert "HOKOKU_CLOSED_DAYS の「創立記念日」を読み取れません" in output
    assert "Traceback" not in output
