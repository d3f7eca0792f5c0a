"""Every Slack payload stays within Block Kit limits with the real Nishitokyo plan.

The fake Web API refuses (and the fixture fails on) any over-limit call; these tests drive
the heaviest real paths and also check what comes back in HTTP responses (slash command
answers, `response_action: update` pages), which never reach the fake.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import Runtime
from bot.slack import ids
from bot.slack.app import make_client
from bot.slack.messenger import SlackMessenger
from handlers.i18n import literal
from handlers.organization.identities import link_identity
from handlers.ports import PURPOSE_REMINDER, Target, TextMessage
from models import Department, Round
from models.db import transaction
from scheduler.messages import office_digest, round_request
from tests.bot import real_plan
from tests.bot.slack.harness import SlackHarness
from tests.bot.slack.listeners.test_views import item_numbers, state
from tests.conftest import Db
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_limits import block_problems, message_problems, view_problems

OFFICE_DEPT = "企画政策課"


@pytest.fixture
def plan(db: Db, slack_runtime: Runtime, samples_dir: Path) -> real_plan.RealPlan:
    loaded = real_plan.load(
        db, organization_id=slack_runtime.organization_id, samples_dir=samples_dir
    )
    # Half of the 60+ items answered with 3000-character comments (prefilled in the modal).
    real_plan.answer_with_long_comments(db, loaded, loaded.big_items[::2])
    office = OFFICE_DEPT if OFFICE_DEPT in loaded.departments else next(iter(loaded.departments))
    with transaction(db.factory) as s:
        for user, name, role in (
            ("UMEMBER", real_plan.BIG, "member"),
            ("UOFFICE", office, "office"),
        ):
            link_identity(
                s,
                department=s.get_one(Department, loaded.departments[name]),
                platform="slack",
                external_id=user,
                kind="user",
                role=role,
            )
    return loaded


def test_validator_catches_what_slack_refuses() -> None:
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "あ" * 3001}}
    assert block_problems([too_long], limit=50)
    assert block_problems([{"type": "divider"}] * 51, limit=50)
    option = {"text": {"type": "plain_text", "text": "x" * 76}, "value": "A"}
    select = {"type": "static_select", "action_id": "g", "options": [option]}
    assert block_problems(
        [{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": select}],
        limit=100,
    )
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}
    assert view_problems({**view, "private_metadata": "m" * 3001})
    assert message_problems({"text": "x" * 40_001})


def test_answer_modal_pages_with_prefilled_3000_character_comments(
    slack: SlackHarness, plan: real_plan.RealPlan
) -> None:
    slack.click(
        "UMEMBER", ids.ACTION_OPEN_REPORT, json.dumps({"r": plan.round_id, "d": plan.big_id})
    )
    view: dict[str, Any] = {**slack.api.of("views.open")[-1].json_field("view"), "id": "V1"}
    pages = 1
    seen: list[int] = []
    while True:
        assert view_problems(view) == []
        numbers = item_numbers(view)
        seen += numbers
        prefilled = [
            b["element"].get("initial_value")
            for b in view["blocks"]
            if b.get("type") == "input" and b["element"]["type"] == "plain_text_input"
        ]
        assert any(p and len(p) == 3000 for p in prefilled)  # the long comments are there
        if view["submit"]["text"] == "送信":
            break
        body = slack.submit("UMEMBER", view, state({n: (None, "") for n in numbers})).json()
        assert body["response_action"] == "update", body
        view = {**body["view"], "id": "V1"}
        pages += 1
    assert seen == plan.big_items and pages >= 6
    slack.api.assert_within_limits()


def test_app_home_for_a_member_with_60_items_and_the_office(
    slack: SlackHarness, plan: real_plan.RealPlan
) -> None:
    slack.event({"type": "app_home_opened", "user": "UMEMBER", "tab": "home"}, event_id="EvH1")
    slack.event({"type": "app_home_opened", "user": "UOFFICE", "tab": "home"}, event_id="EvH2")
    published = slack.api.wait_for("views.publish", 2)
    for call in published:
        view = call.json_field("view")
        assert view_problems(view) == []
    member = json.dumps(published[0].json_field("view"), ensure_ascii=False)
    assert "ほか" in member  # 60+ items are capped, not all listed
    office = json.dumps(published[1].json_field("view"), ensure_ascii=False)
    assert real_plan.BIG in office
    slack.api.assert_within_limits()


def test_office_status_command_lists_35_departments_within_limits(
    slack: SlackHarness, plan: real_plan.RealPlan
) -> None:
    response = slack.command("UOFFICE", "status")
    body = response.json()
    assert message_problems(body) == []
    text = json.dumps(body, ensure_ascii=False)
    assert all(name in text for name in plan.departments)
    pending = slack.command("UMEMBER", "pending").json()
    assert message_problems(pending) == []


def test_request_and_digest_posts_within_limits(
    db: Db, fake_slack: FakeSlackApi, slack_runtime: Runtime, plan: real_plan.RealPlan
) -> None:
    messenger = SlackMessenger(make_client(slack_runtime.settings))
    with transaction(db.factory) as s:
        rnd = s.get_one(Round, plan.round_id)
        request = round_request(s, rnd=rnd, department_id=plan.big_id, purpose=PURPOSE_REMINDER)
        digest = office_digest(s, rnd=rnd, require_missing=True)
    assert request is not None and digest is not None
    assert len(digest.missing) == 35
    target = Target(platform="slack", kind="channel", external_id="C1")
    messenger.send(target, request, key="k1")
    messenger.send(target, digest, key="k2")
    messenger.send(target, TextMessage(literal("お知らせ\n" * 2000)), key="k3")
    posts = fake_slack.of("chat.postMessage")
    assert len(posts) == 3
    for post in posts:
        assert message_problems({**post.body, "blocks": post.json_field("blocks")}) == []
    fake_slack.assert_within_limits()


def test_clip_marks_the_cut() -> None:
    from bot.slack.limits import clip

    assert clip("あいうえお", 5) == "あいうえお"
    assert clip("あいうえおか", 5) == "あいうえ…"
