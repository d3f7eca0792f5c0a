"""Every LINE request stays within Messaging API limits with the real Nishitokyo plan.

The fake API answers 400 to (and `running_fake_line_api` fails on) any over-limit request;
these tests drive the heaviest real paths: the 60-item department's carousel, the office's
状況 / 未回答 over 35 departments, a 60-line answer message, department quick replies, and
the pushed request and digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.line.client import LineClient
from bot.line.messenger import LineMessenger
from bot.line.postback import encode
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from handlers.interaction.intents import GradeButton
from handlers.organization.directory import get_or_create_organization
from handlers.ports import PURPOSE_REQUEST, Target
from models import ROLE_OFFICE, Round
from models.db import transaction
from scheduler.messages import office_digest, round_request
from tests.asgi_server import running_asgi
from tests.bot import real_plan
from tests.bot.line.conftest import LineBot, postback_event, text_event
from tests.conftest import Db
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_limits import request_problems


@pytest.fixture
def real_bot(
    db: Db, line_api: FakeLineApi, line_settings: Settings, samples_dir: Path
) -> Iterator[tuple[LineBot, real_plan.RealPlan]]:
    with transaction(db.factory) as session:
        org_id = get_or_create_organization(session, name="default").id
    plan = real_plan.load(db, organization_id=org_id, samples_dir=samples_dir)
    runtime = Runtime(
        settings=line_settings, engine=db.engine, factory=db.factory, organization_id=org_id
    )
    with running_asgi(build_app(line_settings, runtime)) as url:
        bot = LineBot(url=url, api=line_api, db=db, organization_id=org_id)
        bot.round_id = plan.round_id
        bot.link("UBIG", real_plan.BIG)
        bot.link("UOFF", next(iter(plan.departments)), role=ROLE_OFFICE)
        yield bot, plan


def test_validator_catches_what_line_refuses() -> None:
    text = {"type": "text", "text": "あ" * 5001}
    assert request_problems({"messages": [text]})
    assert request_problems({"messages": [{"type": "text", "text": "ok"}] * 6})
    emoji = {"type": "text", "text": "😀" * 2501}  # 5002 UTF-16 units
    assert request_problems({"messages": [emoji]})
    label = {"type": "postback", "label": "あ" * 21, "data": "a=dp", "displayText": "x"}
    quick = {
        "type": "text",
        "text": "?",
        "quickReply": {"items": [{"type": "action", "action": label}]},
    }
    assert request_problems({"messages": [quick]})


def test_pending_carousel_and_grade_prompt_for_60_items(
    real_bot: tuple[LineBot, real_plan.RealPlan],
) -> None:
    bot, plan = real_bot
    real_plan.answer_with_long_comments(bot.db, plan, plan.big_items[:3])
    messages = bot.send(text_event("未回答", user="UBIG"))
    assert [m["type"] for m in messages] == ["text", "flex", "flex"]
    assert len(messages[1]["contents"]["contents"]) == 12
    data = encode(GradeButton(plan.round_id, plan.big_id, plan.big_items[3], "B"))
    prompt = bot.send(postback_event(data, user="UBIG"))
    assert prompt[0]["quickReply"]["items"]
    for call in bot.api.calls:
        if call.method == "POST":  # not the profile lookups
            assert request_problems(call.body) == []
    assert bot.api.violations == []


def test_office_status_and_pending_over_35_departments(
    real_bot: tuple[LineBot, real_plan.RealPlan],
) -> None:
    bot, plan = real_bot
    status = bot.send(text_event("状況", user="UOFF"))
    joined = "\n".join(m["text"] for m in status)
    assert all(name in joined for name in plan.departments)
    pending = bot.send(text_event("未回答", user="UOFF"))
    assert real_plan.BIG in "\n".join(m["text"] for m in pending if m["type"] == "text")
    assert bot.api.violations == []


def test_sixty_answers_in_one_message_get_a_complete_reply(
    real_bot: tuple[LineBot, real_plan.RealPlan],
) -> None:
    bot, plan = real_bot
    lines = [f"{n} B {real_plan.long_comment(n)[:200]}" for n in plan.big_items]
    reply = bot.send(text_event("\n".join(lines), user="UBIG"))
    assert 1 < len(reply) <= 5
    joined = "\n".join(m["text"] for m in reply)
    for n in plan.big_items:  # every stored item is confirmed, none cut off
        assert f"・[{n}] " in joined
    assert bot.api.violations == []


def test_department_choice_quick_replies_for_a_person_with_many_departments(
    real_bot: tuple[LineBot, real_plan.RealPlan],
) -> None:
    bot, plan = real_bot
    for name in list(plan.departments)[:15]:
        bot.link("UMANY", name)
    messages = bot.send(text_event(f"{plan.big_items[0]} B 実施した", user="UMANY"))
    items = messages[0]["quickReply"]["items"]
    assert len(items) == 13
    assert bot.api.violations == []


def test_pushed_request_and_digest_within_limits(
    real_bot: tuple[LineBot, real_plan.RealPlan], line_settings: Settings
) -> None:
    bot, plan = real_bot
    messenger = LineMessenger(LineClient.from_settings(line_settings))
    with transaction(bot.db.factory) as s:
        rnd = s.get_one(Round, plan.round_id)
        request = round_request(s, rnd=rnd, department_id=plan.big_id, purpose=PURPOSE_REQUEST)
        digest = office_digest(s, rnd=rnd, require_missing=True)
    assert request is not None and digest is not None
    target = Target(platform="line", kind="group", external_id="G1")
    messenger.send(target, request, key="k1")
    messenger.send(target, digest, key="k2")
    pushes = bot.api.pushes
    assert len(pushes) == 2
    for push in pushes:
        assert request_problems(push.body) == []
    digest_text = "\n".join(m["text"] for m in pushes[1].messages)
    assert all(line.department_name in digest_text for line in digest.missing)
    assert bot.api.violations == []


def test_clip_and_split_count_utf16_units_and_lose_nothing() -> None:
    from bot.line import limits

    assert limits.utf16_len("𠮷😀あ") == 5
    clipped = limits.clip("😀" * 10, 5)
    assert limits.utf16_len(clipped) <= 5 and clipped.endswith("…")
    body = "\n".join(f"行{n} " + "あ" * 300 for n in range(60))
    pieces = limits.split_text(body)
    assert all(limits.utf16_len(p) <= limits.TEXT for p in pieces)
    assert "\n".join(pieces) == body
    one_long_line = "い" * 12_000
    assert "".join(limits.split_text(one_long_line)) == one_long_line
