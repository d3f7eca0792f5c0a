"""An office on e-mail alone: the settings switch e-mail on, `serve`'s app starts with it as
its only platform, and its scheduler sends the round's requests to the mail server."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

import httpx
import pytest
from pydantic import SecretStr

from bot.platforms import configured_platforms, report_unconfigured
from bot.runtime import open_runtime
from bot.scheduler_service import SchedulerService
from bot.server import build_app, configure_platforms
from bot.settings import Settings, load_settings
from handlers.errors import InvalidInput
from handlers.organization.directory import find_department
from handlers.organization.mail_addresses import add_addresses, parse_addresses
from models import Round
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.conftest import Db
from tests.factories import build_plan, open_test_round
from tests.fakes.smtp_server import RecordingHandler, TestCertificates, running_smtp
from tests.scheduler.doubles import ManualClock, jst

MAIL_ENV = ("HOKOKU_SMTP_URL", "HOKOKU_SMTP_USER", "HOKOKU_SMTP_PASSWORD", "HOKOKU_MAIL_FROM")


@pytest.fixture(autouse=True)
def _no_platform_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "LINE_CHANNEL_SECRET",
        "LINE_CHANNEL_ACCESS_TOKEN",
        *MAIL_ENV,
    ):
        monkeypatch.delenv(name, raising=False)


def test_e_mail_is_configured_by_a_server_and_a_sender() -> None:
    assert "email" not in configured_platforms(Settings(smtp_url="smtp://mail.example.jp"))
    assert "email" not in configured_platforms(Settings(mail_from="danjo@city.example.jp"))
    both = Settings(smtp_url="smtps://mail.example.jp", mail_from="danjo@city.example.jp")
    assert configured_platforms(both) == {"console", "email"}


def test_smtp_settings_are_checked_and_the_password_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOKOKU_SMTP_PASSWORD", "p4ss-w0rd")
    assert "p4ss-w0rd" not in repr(load_settings())
    for bad in ("http://mail.example.jp", "smtp://", "smtp://mail.example.jp:99999"):
        monkeypatch.setenv("HOKOKU_SMTP_URL", bad)
        with pytest.raises(InvalidInput, match="HOKOKU_SMTP_URL"):
            load_settings()
    monkeypatch.setenv("HOKOKU_SMTP_URL", "smtp://hokoku:p4ss-w0rd@mail.example.jp")
    with pytest.raises(InvalidInput) as in_url:
        load_settings()
    assert "p4ss-w0rd" not in in_url.value.message
    assert "smtp://hokoku:***@mail.example.jp" in in_url.value.message
    assert "HOKOKU_SMTP_USER/PASSWORD" in in_url.value.message
    monkeypatch.setenv("HOKOKU_SMTP_URL", "smtp://mail.example.jp:587")
    monkeypatch.setenv("HOKOKU_MAIL_FROM", "男女共同参画室")
    with pytest.raises(InvalidInput, match="HOKOKU_MAIL_FROM"):
        load_settings()


def test_addresses_without_a_mail_server_are_named_at_start_up(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    with transaction(db.factory) as s:
        plan = build_plan(s, items=[("人権啓発", ["人権課"])])
        dept = find_department(s, organization_id=plan.organization_id, name="人権課")
        add_addresses(
            s, department=dept, addresses=parse_addresses(["a@city.example.jp"]), actor="t"
        )
    rt = open_runtime(Settings(database_url=db.url))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.platforms"):
            report_unconfigured(rt)
    finally:
        rt.close()
    assert [r.getMessage() for r in caplog.records if r.name == "bot.platforms"] == [
        "メール が未設定のため、連携済みの 1 件（人権課）に送れません"
        "（HOKOKU_SMTP_URL と HOKOKU_MAIL_FROM を設定してください）。"
    ]


def test_serve_runs_on_e_mail_alone(db: Db, certificates: TestCertificates) -> None:
    with transaction(db.factory) as s:
        plan = build_plan(s, items=[("人権啓発", ["人権課"]), ("相談窓口", ["人権課"])])
        info = open_test_round(s, plan, deadline=date(2024, 5, 10))
        s.get_one(Round, info.id).opens_on = date(2024, 4, 1)
        dept = find_department(s, organization_id=plan.organization_id, name="人権課")
        add_addresses(
            s, department=dept, addresses=parse_addresses(["jinken@city.example.lg.jp"]), actor="t"
        )
    arrived = threading.Event()

    class Notifying(RecordingHandler):
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            answer = await super().handle_DATA(server, session, envelope)
            arrived.set()
            return answer

    handler = Notifying()
    with running_smtp(starttls=certificates, user="hokoku", password="pw", handler=handler) as smtp:
        settings = Settings(
            database_url=db.url,
            smtp_url=smtp.url,
            smtp_user="hokoku",
            smtp_password=SecretStr("pw"),
            smtp_ca_file=str(certificates.ca_file),
            mail_from="danjo@city.example.lg.jp",
        )
        rt = open_runtime(settings)
        try:
            platforms = configure_platforms(settings, rt)
            assert platforms.names == ["email"] and platforms.routes == []
            service = SchedulerService(
                rt, clock=ManualClock(jst(date(2024, 4, 1))), interval_seconds=1
            )
            app = build_app(settings, rt, platforms=platforms, extra_services=[service])
            with running_asgi(app) as url:
                health = httpx.get(f"{url}/healthz").json()
                assert health["platforms"] == ["email"]
                assert arrived.wait(20), "no e-mail within 20 s"
                deadline = time.monotonic() + 10
                while not httpx.get(f"{url}/healthz").json()["scheduler"]["last_tick"]:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
        finally:
            rt.close()
    [request] = handler.received
    assert request.rcpt_tos == ("jinken@city.example.lg.jp",)
    assert request.subject == "令和5年度 テスト計画 報告のお願い（人権課）"
