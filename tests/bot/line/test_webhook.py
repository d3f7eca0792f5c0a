"""The /line/callback endpoint: signatures, once-only events, several events per body."""

from __future__ import annotations

import os

import httpx
from sqlalchemy import func, select

from models import ProcessedEvent, Report, ReportRevision
from models.db import transaction
from tests.bot.line.conftest import LineBot, sign, text_event


def _count(bot: LineBot, model: type) -> int:
    with transaction(bot.db.factory) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_forged_signature_is_rejected_and_nothing_is_stored(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    body_event = text_event("1 B 周知した")
    forged = line_bot.post(body_event, signature=sign(b"another body"))
    wrong_secret = line_bot.post(body_event, signature=sign(b"x", secret="not-the-secret"))
    missing = line_bot.post(body_event, signature="")
    assert forged.status_code == 400
    assert wrong_secret.status_code == 400
    assert missing.status_code == 400
    assert _count(line_bot, ProcessedEvent) == 0
    assert _count(line_bot, ReportRevision) == 0
    # The signed original is then accepted: the rejection was about the signature only.
    line_bot.say("ヘルプ")
    posts = [c.path for c in line_bot.api.calls if c.method == "POST"]
    assert posts == ["/v2/bot/message/reply"]


def test_redelivered_event_is_stored_once_and_replied_once(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    first = text_event("1 B 市広報紙で周知した", event_id="01HREDELIVERED0000000000001")
    again = dict(first, deliveryContext={"isRedelivery": True})
    assert line_bot.post(first).status_code == 200
    assert line_bot.post(again).status_code == 200
    # A later event's reply proves the redelivery's turn has passed without a reply.
    marker = line_bot.say("ヘルプ")
    assert "使い方" in marker
    assert len(line_bot.api.replies) == 2
    assert line_bot.api.replies[0].body["replyToken"] == first["replyToken"]
    assert _count(line_bot, ReportRevision) == 1
    with transaction(line_bot.db.factory) as session:
        keys = session.scalars(select(ProcessedEvent.event_key)).all()
    assert keys.count("01HREDELIVERED0000000000001") == 1


def test_events_for_several_users_in_one_body_are_each_handled(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    line_bot.link("U2", "職員課")
    response = line_bot.post(
        text_event("2 A 講座を3回開催", user="U1"), text_event("3 B 研修を実施", user="U2")
    )
    assert response.status_code == 200
    replies = line_bot.api.wait_for(2, path="/v2/bot/message/reply")
    texts = sorted(r.texts[0] for r in replies)
    assert any("講座の開催" in t for t in texts)
    assert any("職員研修" in t for t in texts)
    with transaction(line_bot.db.factory) as session:
        reporters = set(session.scalars(select(Report.reporter).where(Report.grade.is_not(None))))
    assert reporters == {"U1", "U2"}


def test_reply_uses_the_reply_token_and_the_access_token(line_bot: LineBot) -> None:
    event = text_event("ヘルプ")
    line_bot.send(event)
    [call] = line_bot.api.replies
    assert call.body["replyToken"] == event["replyToken"]
    assert call.headers["authorization"] == "Bearer test-access-token"
    assert line_bot.api.pushes == []


def test_malformed_body_with_valid_signature_is_a_bad_request(line_bot: LineBot) -> None:
    import httpx

    body = b"not json"
    response = httpx.post(
        line_bot.url + "/line/callback",
        content=body,
        headers={"X-Line-Signature": sign(body)},
        timeout=30,
    )
    assert response.status_code == 400
    assert _count(line_bot, ProcessedEvent) == 0


def test_console_verify_request_without_events_is_ok(line_bot: LineBot) -> None:
    # The "Verify" button of the LINE Developers console posts a signed body with no events.
    assert line_bot.post().status_code == 200
    assert line_bot.api.calls == []


def test_line_only_server_mounts_the_callback_and_health(line_bot: LineBot) -> None:
    response = httpx.get(f"{line_bot.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "platforms": ["line"], "pid": os.getpid()}
    assert httpx.post(f"{line_bot.url}/slack/events", content=b"{}").status_code == 404
