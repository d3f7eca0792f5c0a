"""Settings: an empty value means unset everywhere (a real `.env` file and the environment)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.messengers import calendar_from_settings
from bot.runtime import open_runtime
from bot.server import configure_platforms
from bot.settings import Settings, load_settings
from handlers.errors import InvalidInput

REPO = Path(__file__).resolve().parents[2]
PLATFORM_KEYS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own (its .env is the one read), no platform variables set."""
    monkeypatch.chdir(tmp_path)
    for key in (*PLATFORM_KEYS, "HOKOKU_DATABASE_URL", "HOKOKU_YEAR_END", "HOKOKU_LOG_LEVEL"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def line_only_env_file(workdir: Path) -> None:
    """`.env.example` copied to `.env`, with only the LINE lines filled in."""
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    text = text.replace("LINE_CHANNEL_SECRET=\n", "LINE_CHANNEL_SECRET=line-secret\n")
    text = text.replace("LINE_CHANNEL_ACCESS_TOKEN=\n", "LINE_CHANNEL_ACCESS_TOKEN=line-token\n")
    text = text.replace("sqlite:///hokoku.db", f"sqlite:///{workdir / 'office.db'}")
    (workdir / ".env").write_text(text, encoding="utf-8")


def test_example_env_with_only_line_filled_runs_line_only(workdir: Path) -> None:
    line_only_env_file(workdir)
    settings = Settings()
    assert settings.slack_bot_token is None and settings.slack_signing_secret is None
    assert settings.slack_app_token is None
    assert settings.line_channel_secret is not None
    rt = open_runtime(settings)
    try:
        assert configure_platforms(settings, rt).names == ["line"]
    finally:
        rt.close()


def test_empty_environment_variables_count_as_unset(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "")
    monkeypatch.setenv("HOKOKU_DATABASE_URL", "")
    monkeypatch.setenv("HOKOKU_SEND_TIME", "")
    monkeypatch.setenv("HOKOKU_SCHEDULER_INTERVAL", "")
    settings = Settings()
    assert settings.slack_bot_token is None and settings.slack_signing_secret is None
    assert settings.database_url == "sqlite:///hokoku.db"
    assert (settings.send_time, settings.scheduler_interval) == ("09:30", 60)


def test_serve_with_empty_slack_lines_does_not_ask_for_slack(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copied `.env.example` untouched: `serve` starts with no chat platform (the web
    console alone) and does not ask for Slack. uvicorn is not started here: the app it would
    serve is captured instead."""
    shutil.copy(REPO / ".env.example", workdir / ".env")
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(app))
    result = CliRunner().invoke(app, ["serve", "--no-scheduler"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    assert "チャットのプラットフォームは未設定" in result.output
    assert "SLACK_SIGNING_SECRET が設定されていません" not in result.output


def test_empty_year_end_keeps_the_default_and_none_switches_it_off(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOKOKU_YEAR_END", "")
    assert calendar_from_settings(Settings()).year_end == ((12, 29), (1, 3))
    monkeypatch.setenv("HOKOKU_YEAR_END", "none")
    assert calendar_from_settings(Settings()).year_end is None


def test_a_malformed_setting_is_one_line_naming_the_variable(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOKOKU_LOG_LEVEL", "loud")
    with pytest.raises(InvalidInput, match="HOKOKU_LOG_LEVEL「loud」"):
        load_settings()
    result = CliRunner().invoke(app, ["plan", "list"])
    assert result.exit_code == 1
    assert "HOKOKU_LOG_LEVEL「loud」" in result.stderr and "Traceback" not in result.output


def test_public_url_must_be_https_except_on_localhost(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOKOKU_PUBLIC_URL", "https://hokoku.example.jp/office/")
    assert Settings().public_url == "https://hokoku.example.jp/office"
    monkeypatch.setenv("HOKOKU_PUBLIC_URL", "http://localhost:3000")
    assert Settings().public_url == "http://localhost:3000"
    monkeypatch.setenv("HOKOKU_PUBLIC_URL", "")
    assert Settings().public_url is None
    for bad in ("http://hokoku.example.jp", "hokoku.example.jp", "https://h.example.jp/?a=1"):
        monkeypatch.setenv("HOKOKU_PUBLIC_URL", bad)
        with pytest.raises(InvalidInput, match="HOKOKU_PUBLIC_URL"):
            load_settings()
    monkeypatch.setenv("HOKOKU_PUBLIC_URL", "https://hokoku.example.jp")
    monkeypatch.setenv("HOKOKU_CHART_MINUTES", "0")
    with pytest.raises(InvalidInput, match="HOKOKU_CHART_MINUTES"):
        load_settings()
