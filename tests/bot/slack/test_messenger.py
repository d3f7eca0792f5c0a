"""SlackMessenger against the fake Web API: rendering, DM opening, 429 and error mapping."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from bot.slack.app import make_client
from bot.slack.messenger import SlackMessenger
from handlers.i18n import literal
from handlers.ports import (
    PURPOSE_REQUEST,
    DeliveryError,
    DigestLine,
    OfficeDigest,
    PendingItem,
    RoundRequest,
    Target,
    TextMessage,
    Unreachable,
)
from tests.fakes.slack_api import FakeSlackApi

REQUEST = RoundRequest(
    purpose=PURPOSE_REQUEST,
    round_id=7,
    fiscal_year=2023,
    plan_title="第6次行動計画",
    deadline=date(2024, 5, 31),
    department_id=3,
    department_name="女性センター",
    total_items=3,
    pending=(PendingItem(1, "1 市広報紙での周知", "B"), PendingItem(2, "2 研修")),
    grades=("A", "B", "C", "D"),
)


def messenger(api: FakeSlackApi) -> SlackMessenger:
    settings = Settings(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=api.url)
    return SlackMessenger(make_client(settings))


def test_round_request_to_a_user_opens_the_dm_and_has_a_report_button(
    fake_slack: FakeSlackApi,
) -> None:
    messenger(fake_slack).send(Target("slack", "U1"), REQUEST, key="request:7:3:U1")
    [opened] = fake_slack.of("conversations.open")
    assert opened.body["users"] == "U1"
    [post] = fake_slack.of("chat.postMessage")
    assert post.body["channel"] == "DU1"
    blocks = post.json_field("blocks")
    text = str(blocks)
    assert "令和5年度 第6次行動計画 報告のお願い" in text
    assert "担当 3件・未回答 2件" in text and "2024年5月31日" in text
    assert "[1] 市広報紙での周知（前年度 B）" in text
    [button] = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert button["text"]["text"] == "報告する" and button["value"] == '{"r": 7, "d": 3}'


def test_channel_target_posts_directly(fake_slack: FakeSlackApi) -> None:
    messenger(fake_slack).send(
        Target("slack", "C0WOMEN", kind="channel"), TextMessage(literal("お知らせ")), key="k"
    )
    assert fake_slack.of("conversations.open") == []
    assert fake_slack.of("chat.postMessage")[0].body["text"] == "お知らせ"


def test_429_is_retried_by_the_client_then_reported_with_retry_after(
    fake_slack: FakeSlackApi,
) -> None:
    target = Target("slack", "C1", kind="channel")
    fake_slack.fail_once("chat.postMessage", status=429, retry_after=1)
    messenger(fake_slack).send(target, TextMessage(literal("一度目は429")), key="k1")
    assert len(fake_slack.of("chat.postMessage")) == 2  # the retry handler waited and retried

    for _ in range(3):  # more 429s than the handler retries
        fake_slack.fail_once("chat.postMessage", status=429, retry_after=2)
    with pytest.raises(DeliveryError) as caught:
        messenger(fake_slack).send(target, TextMessage(literal("ずっと429")), key="k2")
    assert caught.value.retry_after == 2.0 and not caught.value.permanent


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        ("channel_not_found", True),
        ("is_archived", True),
        ("account_inactive", True),
        ("not_in_channel", True),
        ("internal_error", False),
    ],
)
def test_api_errors_map_to_delivery_errors(
    fake_slack: FakeSlackApi, error: str, permanent: bool
) -> None:
    fake_slack.fail_once("chat.postMessage", error=error)
    with pytest.raises(DeliveryError) as caught:
        messenger(fake_slack).send(Target("slack", "C1", kind="channel"), REQUEST, key="k")
    assert caught.value.permanent is permanent


def test_resend_after_a_crash_does_not_post_twice(fake_slack: FakeSlackApi) -> None:
    slack = messenger(fake_slack)
    slack.send(Target("slack", "C1", kind="channel"), REQUEST, key="r7:i1:request")
    # The sender died before recording "sent"; the outbox retries with resend=True.
    slack.send(Target("slack", "C1", kind="channel"), REQUEST, key="r7:i1:request", resend=True)
    assert len(fake_slack.of("chat.postMessage")) == 1
    [history] = fake_slack.of("conversations.history")
    assert history.body["channel"] == "C1"
    # A resend whose first attempt never reached Slack is posted.
    slack.send(Target("slack", "C1", kind="channel"), REQUEST, key="r7:i1:reminder", resend=True)
    posts = fake_slack.of("chat.postMessage")
    assert [p.json_field("metadata")["event_payload"]["key"] for p in posts] == [
        "r7:i1:request",
        "r7:i1:reminder",
    ]


def test_first_attempts_do_not_read_history(fake_slack: FakeSlackApi) -> None:
    messenger(fake_slack).send(Target("slack", "C1", kind="channel"), REQUEST, key="k1")
    assert fake_slack.of("conversations.history") == []


def test_digest_names_departments_only_an_unconfigured_platform_reaches(
    fake_slack: FakeSlackApi,
) -> None:
    digest = OfficeDigest(
        round_id=7,
        fiscal_year=2023,
        plan_title="第6次行動計画",
        deadline=date(2024, 5, 31),
        total=4,
        submitted=1,
        missing=(DigestLine("防災課", (PendingItem(5, "5 防災"),)),),
        unreachable=(Unreachable("line", ("防災課",)),),
    )
    messenger(fake_slack).send(Target("slack", "C1", "channel"), digest, key="digest:7")
    [post] = fake_slack.of("chat.postMessage")
    sections = [b["text"]["text"] for b in post.json_field("blocks") if b["type"] == "section"]
    assert sections[-1].splitlines()[-1] == (
        "LINE が未設定のため依頼が届かない担当課: 防災課"
        "（LINE_CHANNEL_SECRET/LINE_CHANNEL_ACCESS_TOKEN を設定してください）"
    )
