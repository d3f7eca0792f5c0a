"""What the server says at start-up about platforms that have linked targets but no settings."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from bot.platforms import configured_platforms, report_unconfigured
from bot.runtime import open_runtime
from bot.server import Platforms, build_app
from bot.settings import Settings
from tests.asgi_server import running_asgi
from tests.conftest import Db
from tests.scheduler.scenario import build_scenario

LINE_HINT = "LINE_CHANNEL_SECRET/LINE_CHANNEL_ACCESS_TOKEN を設定してください"


@pytest.fixture(autouse=True)
def _no_platform_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.platforms" and r.levelno == logging.WARNING
    ]


def test_configured_platforms_follow_the_settings() -> None:
    assert configured_platforms(Settings()) == {"console"}
    slack = Settings(slack_bot_token=SecretStr("xoxb-1"))
    assert configured_platforms(slack) == {"console", "slack"}
    line = Settings(line_channel_access_token=SecretStr("t"))
    assert configured_platforms(line) == {"console", "line"}


def test_one_warning_per_unconfigured_platform_with_linked_targets(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    build_scenario(db.factory)
    rt = open_runtime(Settings(database_url=db.url, slack_bot_token=SecretStr("xoxb-1")))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.platforms"):
            found = report_unconfigured(rt)
        assert [(u.platform, u.count) for u in found] == [("line", 2)]
        assert warnings(caplog) == [
            f"LINE が未設定のため、連携済みの 2 件（子育て支援課、防災課）に送れません（{LINE_HINT}）。"
        ]
        caplog.clear()
        report_unconfigured(rt, configured={"slack", "line", "console"})
        assert warnings(caplog) == []
    finally:
        rt.close()


def test_serve_start_up_logs_the_check(db: Db, caplog: pytest.LogCaptureFixture) -> None:
    build_scenario(db.factory)
    rt = open_runtime(Settings(database_url=db.url))
    app = build_app(rt.settings, rt, platforms=Platforms())
    try:
        with caplog.at_level(logging.WARNING, logger="bot.platforms"), running_asgi(app) as url:
            assert httpx.get(f"{url}/healthz").status_code == 200
        logged = warnings(caplog)
        assert len(logged) == 2  # LINE and Slack: nothing but the console is configured
        assert (
            logged[0].startswith("LINE が未設定のため、連携済みの 2 件") and LINE_HINT in logged[0]
        )
        assert logged[1].startswith("Slack が未設定のため、連携済みの 3 件")
        assert "SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET" in logged[1]
    finally:
        rt.close()
