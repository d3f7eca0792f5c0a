"""`グラフ` / `chart` in chat: Slack uploads the PNG (files_upload_v2 through the fake Web
API, which checks the three steps and their limits), LINE sends an image message whose
HTTPS URLs `hokoku serve` answers with the PNG. Only the office may ask; a redelivered
request posts nothing twice; without HOKOKU_PUBLIC_URL LINE gets a polite answer.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import select

from bot.line.webhook import CALLBACK_PATH
from bot.runtime import Runtime
from bot.server import build_app, configure_platforms
from bot.settings import Settings
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.organization.identities import link_identity
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import VIEW, close_round, resolve_round
from models import ROLE_MEMBER, ROLE_OFFICE, Indicator, PublishedChart
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.bot.line.conftest import CHANNEL_SECRET, sign, text_event
from tests.bot.slack.harness import (
    SIGNING_SECRET,
    SlackHarness,
    TrackingExecutor,
)
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan, open_test_round
from tests.fakes.line_api import FakeLineApi, running_fake_line_api
from tests.fakes.slack_api import FakeSlackApi

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PUBLIC_URL = "https://hokoku.example.jp"


def assert_drawn_png(png: bytes) -> None:
    """A real chart: a PNG of some size with ink on it (as tests/handlers/export/test_charts.py)."""
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 10_000
    image = Image.open(io.BytesIO(png))
    assert image.width >= 600 and image.height >= 200
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20  # not a blank canvas
    assert (pixels < 128).mean() > 0.005  # bars, labels, text


def _runtime(db: Db, settings: Settings, platform: str) -> Runtime:
    """Last year's round with two answers, this year's open with three, indicator 16 of
    女性センター; UOFF is the office, U1 a member of 女性センター."""
    with transaction(db.factory) as session:
        plan = build_plan(session, items=SMALL_PLAN, organization=settings.organization)
        org_id = get_or_create_organization(session, name=settings.organization).id

        def answer(round_id: int, name: str, number: int, grade: str) -> None:
            department = find_department(session, organization_id=org_id, name=name)
            submit_answer(
                session,
                round_id=round_id,
                department_id=department.id,
                item_number=number,
                grade=grade,
                comment="",
                reporter="t",
                channel="test",
            )

        last = open_test_round(session, plan, year=2022)
        answer(last.id, "女性センター", 1, "C")
        answer(last.id, "職員課", 3, "A")
        rnd = resolve_round(session, organization_id=org_id, ref=None, purpose=VIEW)
        close_round(session, rnd=rnd, actor="t")
        this = open_test_round(session, plan)
        answer(this.id, "女性センター", 1, "A")
        answer(this.id, "秘書広報課", 1, "B")
        answer(this.id, "職員課", 3, "B")
        center = find_department(session, organization_id=org_id, name="女性センター")
        session.add(
            Indicator(
                plan_id=plan.id,
                number="16",
                name="審議会等の女性委員の割合",
                unit="%",
                baseline_value=30.0,
                target_value=40.0,
                department_id=center.id,
            )
        )
        for who, role in (("UOFF", ROLE_OFFICE), ("U1", ROLE_MEMBER)):
            link_identity(
                session,
                department=find_department(session, organization_id=org_id, name="女性センター"),
                platform=platform,
                external_id=who,
                role=role,
            )
    return Runtime(settings=settings, engine=db.engine, factory=db.factory, organization_id=org_id)


# --- Slack ---------------------------------------------------------------------------------


@contextmanager
def slack_app(db: Db, language: str = "ja") -> Iterator[SlackHarness]:
    api = FakeSlackApi().start()
    settings = Settings(
        database_url=db.url,
        organization="slack-charts",
        language=language,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=api.url,
    )
    runtime = _runtime(db, settings, "slack")
    executor = TrackingExecutor()
    platforms = configure_platforms(settings, runtime, slack_executor=executor)
    try:
        with running_asgi(build_app(settings, runtime, platforms=platforms)) as url:
            harness = SlackHarness(url, api, executor, platforms)
            api.reset()
            try:
                yield harness
            finally:
                harness.http.close()
        api.assert_within_limits()
    finally:
        executor.shutdown(wait=True)
        api.stop()


def _uploads(api: FakeSlackApi) -> list[tuple[str, str]]:
    """(channel, title) of every completed upload."""
    return [
        (str(c.body.get("channel_id")), str(c.json_field("files")[0].get("title")))
        for c in api.of("files.completeUploadExternal")
    ]


def test_slack_uploads_the_chart_once_even_when_the_event_is_redelivered(db: Db) -> None:
    with slack_app(db) as slack:
        api = slack.api
        response = slack.dm("UOFF", "グラフ", event_id="EvChart1")
        assert response.status_code == 200
        [said] = [c for c in api.of("chat.postMessage") if c.body["channel"] == "DUOFF"]
        assert "グラフを作成しています" in said.body["text"]
        assert _uploads(api) == [("DUOFF", "担当課別の回答状況のグラフです。")]
        [url_call] = api.of("files.getUploadURLExternal")
        assert url_call.body["filename"] == "hokoku-completion.png"
        [png] = api.completed_files()
        assert int(url_call.body["length"]) == len(png)
        assert_drawn_png(png)

        # Slack retries the same event (e.g. our ack was late): nothing is posted again.
        again = slack.dm("UOFF", "グラフ", event_id="EvChart1", retry_num=1)
        assert again.status_code == 200
        assert len(api.of("chat.postMessage")) == 1
        assert len(api.of("files.getUploadURLExternal")) == 1
        assert len(api.completed_files()) == 1

        # The other kinds, by their words; the slash command posts to its channel.
        slack.dm("UOFF", "グラフ 前年度", event_id="EvChart2")
        slack.dm("UOFF", "グラフ 達成度", event_id="EvChart3")
        slack.command("UOFF", "chart yoy")
        assert _uploads(api)[1:] == [
            ("DUOFF", "達成度の前年度比較のグラフです。"),
            ("DUOFF", "目標別の達成度のグラフです。"),
            ("C0GENERAL", "達成度の前年度比較のグラフです。"),
        ]
        pngs = api.completed_files()
        assert len(pngs) == 4 and len(set(pngs)) == 3  # the same yoy chart twice
        for png in pngs:
            assert_drawn_png(png)


def test_slack_chart_is_the_offices_and_unknown_kinds_are_explained(db: Db) -> None:
    with slack_app(db, "en") as slack:
        slack.dm("U1", "chart", event_id="EvDept")
        slack.dm("UOFF", "chart pie", event_id="EvPie")
        texts = [c.body["text"] for c in slack.api.of("chat.postMessage")]
        assert "Only the office can do this" in texts[0]
        assert "There is no chart “pie”" in texts[1]
        assert slack.api.of("files.getUploadURLExternal") == []


def test_slack_tells_the_user_when_the_upload_is_refused(db: Db) -> None:
    with slack_app(db, "en") as slack:
        slack.api.fail_once("files.completeUploadExternal", error="not_in_channel")
        slack.dm("UOFF", "chart", event_id="EvRefused")
        texts = [c.body["text"] for c in slack.api.of("chat.postMessage")]
        assert "The chart could not be posted (not_in_channel)" in texts[-1]


# --- LINE ----------------------------------------------------------------------------------


@contextmanager
def line_app(
    db: Db, *, public_url: str | None = PUBLIC_URL, language: str = "ja"
) -> Iterator[tuple[str, FakeLineApi, Runtime]]:
    with running_fake_line_api() as api:
        settings = Settings(
            database_url=db.url,
            organization="line-charts",
            language=language,
            line_channel_secret=SecretStr(CHANNEL_SECRET),
            line_channel_access_token=SecretStr("test-access-token"),
            line_api_url=api.url,
            public_url=public_url,
        )
        runtime = _runtime(db, settings, "line")
        with running_asgi(build_app(settings, runtime)) as url:
            yield url, api, runtime


def _post(url: str, *events: dict[str, object]) -> None:
    body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
    response = httpx.post(url + CALLBACK_PATH, content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def test_line_sends_the_published_chart_once_even_when_redelivered(db: Db) -> None:
    with line_app(db) as (url, api, runtime):
        event = text_event("グラフ 前年度", user="UOFF")
        _post(url, event)
        [reply] = api.wait_for(1, path="/v2/bot/message/reply")
        text, image = reply.messages
        assert text == {"type": "text", "text": "達成度の前年度比較のグラフです。"}
        assert image["type"] == "image"
        assert image["originalContentUrl"] == image["previewImageUrl"]
        link = urlsplit(image["originalContentUrl"])
        assert f"{link.scheme}://{link.netloc}" == PUBLIC_URL
        # What LINE fetches: the PNG, from this server.
        served = httpx.get(url + link.path, timeout=30)
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert_drawn_png(served.content)

        # LINE redelivers the same event: no second reply, no second image published.
        _post(url, {**event, "deliveryContext": {"isRedelivery": True}})
        _post(url, text_event("グラフ", user="UOFF"))  # a new request, to know the first settled
        replies = api.wait_for(2, path="/v2/bot/message/reply")
        assert len(replies) == 2
        assert replies[1].messages[0]["text"] == "担当課別の回答状況のグラフです。"
        with transaction(runtime.factory) as session:
            kinds = sorted(session.scalars(select(PublishedChart.kind)))
        assert kinds == ["completion", "yoy"]


def test_line_draws_the_chart_after_the_webhooks_answer(db: Db) -> None:
    """What runs before the 200 (`process`) stores the request and draws nothing; the
    chart is drawn and published by what runs after it (`send`), with the reserved token."""
    from bot.line.client import LineClient
    from bot.line.webhook import LineWebhook, read_envelope

    with line_app(db) as (_url, api, runtime):
        webhook = LineWebhook(runtime.settings, runtime, LineClient.from_settings(runtime.settings))
        body = json.dumps({"destination": "Ubot", "events": [text_event("グラフ", user="UOFF")]})
        done = webhook.process(read_envelope(body))
        with transaction(runtime.factory) as session:
            assert session.scalars(select(PublishedChart)).first() is None
        assert api.replies == []
        [pending] = done.replies
        webhook.send(pending)
        [reply] = api.replies
        assert reply.body["replyToken"] == pending.reply_token
        assert [m["type"] for m in reply.messages] == ["text", "image"]
        with transaction(runtime.factory) as session:
            assert list(session.scalars(select(PublishedChart.kind))) == ["completion"]


def test_line_pushes_the_chart_when_the_reply_token_expired_while_drawing(db: Db) -> None:
    with line_app(db) as (url, api, _runtime):
        api.expired_tokens = 1  # LINE answers 400 "Invalid reply token"
        event = text_event("グラフ 達成度", user="UOFF")
        _post(url, event)
        [push] = api.wait_for(1, path="/v2/bot/message/push")
        assert push.body["to"] == "UOFF"
        assert [m["type"] for m in push.messages] == ["text", "image"]
        assert push.retry_key  # a retried push is delivered at most once
        [refused] = api.replies
        assert refused.messages == push.messages


@pytest.mark.parametrize(
    ("public_url", "language", "expected"),
    [
        (None, "ja", "事務局がサーバーの公開 URL（HOKOKU_PUBLIC_URL、https://…）を設定する必要"),
        (None, "en", "the office must set the server's public URL (HOKOKU_PUBLIC_URL"),
        ("http://localhost:8000", "en", "the office must set the server's public URL"),
    ],
)
def test_line_without_an_https_public_url_says_the_office_must_set_it(
    db: Db, public_url: str | None, language: str, expected: str
) -> None:
    with line_app(db, public_url=public_url, language=language) as (url, api, runtime):
        _post(url, text_event("chart", user="UOFF"))
        [reply] = api.wait_for(1, path="/v2/bot/message/reply")
        assert [m["type"] for m in reply.messages] == ["text"]
        assert expected in reply.messages[0]["text"]
        with transaction(runtime.factory) as session:
            assert session.scalars(select(PublishedChart)).first() is None


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_console_points_to_the_cli_and_that_command_works(
    db: Db, language: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from bot import console
    from bot.cli import app

    settings = Settings(database_url=db.url, organization="console-charts", language=language)
    runtime = _runtime(db, settings, "console")
    session = console.ConsoleSession(runtime.organization_id, "UOFF", settings.language)
    reply = console.say(runtime, session, "グラフ" if language == "ja" else "chart")
    suggested = re.search(r"hokoku (chart -o \S+\.png)", reply)
    assert suggested is not None, reply
    with transaction(runtime.factory) as db_session:
        assert db_session.scalars(select(PublishedChart)).first() is None
    # The command as suggested (no --kind: the completion chart), run as the office would.
    env = {"HOKOKU_DATABASE_URL": db.url, "HOKOKU_ORGANIZATION": "console-charts"}
    args = [*suggested.group(1).split()[:-1], str(tmp_path / suggested.group(1).split()[-1])]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert_drawn_png((tmp_path / suggested.group(1).split()[-1]).read_bytes())


def test_the_fake_line_api_refuses_images_that_line_would_refuse() -> None:
    from tests.fakes.line_limits import request_problems

    def image(url: str) -> dict[str, object]:
        return {"messages": [{"type": "image", "originalContentUrl": url, "previewImageUrl": url}]}

    assert request_problems(image(PUBLIC_URL + "/charts/x.png")) == []
    assert request_problems(image("http://hokoku.example.jp/x.png"))
    assert request_problems(image(PUBLIC_URL + "/" + "a" * 2000))
    assert request_problems({"messages": [{"type": "image", "originalContentUrl": PUBLIC_URL}]})


def test_the_fake_slack_api_checks_the_upload_steps() -> None:
    api = FakeSlackApi().start()
    try:
        base = api.url
        ok = httpx.post(
            base + "files.getUploadURLExternal", data={"filename": "a.png", "length": 3}
        )
        upload_url = ok.json()["upload_url"]
        assert httpx.post(upload_url, content=b"abcd").status_code == 400  # not the length
        assert httpx.post(upload_url, content=b"abc").status_code == 200
        assert httpx.post(upload_url, content=b"abc").status_code == 400  # twice
        files = json.dumps([{"id": ok.json()["file_id"], "title": "t"}])
        done = httpx.post(base + "files.completeUploadExternal", data={"files": files})
        assert done.json()["ok"] is True
        again = httpx.post(base + "files.completeUploadExternal", data={"files": files})
        assert again.json()["ok"] is False  # completed twice
        empty = httpx.post(base + "files.getUploadURLExternal", data={"filename": "", "length": 0})
        assert empty.json()["ok"] is False
        assert len(api.violations) == 4
    finally:
        api.stop()
