"""`hokoku serve` refuses clearly (one line, exit 1) when nothing or too little is configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.fakes.slack_api import FakeSlackApi

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


def test_no_platform_configured(env: dict[str, str]) -> None:
    code, output = run(env)
    assert code == 1
    assert "有効なプラットフォームがありません" in output and "Traceback" not in output


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
