"""LineMessenger (the outbound port) against the fake LINE API: push, retry keys, failures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from bot.line.client import LineClient, retry_key
from bot.line.messenger import LineMessenger
from bot.line.postback import decode
from handlers.i18n import literal
from handlers.interaction.intents import GradeButton
from handlers.ports import (
    PURPOSE_REMINDER,
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
from tests.fakes.line_api import FakeLineApi, running_fake_line_api

TARGET = Target(platform="line", external_id="Uabc", kind="user")


@pytest.fixture
def api() -> Iterator[FakeLineApi]:
    with running_fake_line_api() as fake:
        yield fake


@pytest.fixture
def messenger(api: FakeLineApi) -> LineMessenger:
    return LineMessenger(LineClient(access_token="push-token", api_url=api.url))


def request(pending: int, purpose: str = PURPOSE_REQUEST) -> RoundRequest:
    return RoundRequest(
        purpose=purpose,
        round_id=7,
        fiscal_year=2023,
        plan_title="第6次計画",
        deadline=date(2024, 5, 31),
        department_id=3,
        department_name="女性センター",
        total_items=pending + 1,
        pending=tuple(
            PendingItem(n, f"{n} 取組{n}", "B" if n == 1 else None) for n in range(1, pending + 1)
        ),
        grades=("A", "B", "C", "D"),
    )


def test_request_is_pushed_as_text_and_carousel_with_a_retry_key(
    api: FakeLineApi, messenger: LineMessenger
) -> None:
    assert messenger.platform == "line"
    messenger.send(TARGET, request(3), key="request:7:3:Uabc")
    [call] = api.pushes
    assert call.body["to"] == "Uabc"
    assert call.headers["authorization"] == "Bearer push-token"
    assert call.retry_key == str(uuid.UUID(retry_key("request:7:3:Uabc")))
    intro, carousel = call.messages
    assert (
        "令和5年度" in intro["text"]
        and "5月31日" in intro["text"]
        and "担当 4件・未回答 3件" in intro["text"]
    )
    bubbles = carousel["contents"]["contents"]
    assert len(bubbles) == 3
    assert bubbles[0]["body"]["contents"][2]["text"] == "前年度: B"
    assert bubbles[1]["body"]["contents"][2]["text"] == "前年度: なし"
    buttons = [b["action"] for b in bubbles[0]["footer"]["contents"]]
    assert [b["label"] for b in buttons] == ["A", "B", "C", "D"]
    assert decode(buttons[1]["data"]) == GradeButton(7, 3, 1, "B", last_year=True)
    assert buttons[1]["displayText"] == "1 B"


def test_a_retried_push_is_delivered_once(api: FakeLineApi, messenger: LineMessenger) -> None:
    messenger.send(TARGET, TextMessage(literal("締切は明日です")), key="reminder:7:3")
    # Same key again (e.g. after a crash before the outbox row was marked sent): LINE says 409.
    LineMessenger(LineClient(access_token="push-token", api_url=api.url)).send(
        TARGET, TextMessage(literal("締切は明日です")), key="reminder:7:3"
    )
    assert [c.retry_key for c in api.pushes] == [retry_key("reminder:7:3")] * 2
    assert api.accepted_retry_keys == {retry_key("reminder:7:3")}
    assert retry_key("reminder:7:3") != retry_key("reminder:7:4")


def test_rate_limit_is_a_retryable_delivery_error(
    api: FakeLineApi, messenger: LineMessenger
) -> None:
    api.fail_next.append(429)
    with pytest.raises(DeliveryError) as caught:
        messenger.send(TARGET, TextMessage(literal("x")), key="k1")
    assert caught.value.permanent is False
    messenger.send(TARGET, TextMessage(literal("x")), key="k1")  # the retry goes through
    assert len(api.pushes) == 2


@pytest.mark.parametrize("status", [400, 403, 404])
def test_blocked_or_unknown_target_is_permanent(
    api: FakeLineApi, messenger: LineMessenger, status: int
) -> None:
    api.fail_next.append(status)
    with pytest.raises(DeliveryError) as caught:
        messenger.send(TARGET, TextMessage(literal("x")), key=f"k{status}")
    assert caught.value.permanent is True


def test_server_error_is_retryable(api: FakeLineApi, messenger: LineMessenger) -> None:
    api.fail_next.append(500)
    with pytest.raises(DeliveryError) as caught:
        messenger.send(TARGET, TextMessage(literal("x")), key="k500")
    assert caught.value.permanent is False


def test_unreachable_api_is_retryable() -> None:
    with running_fake_line_api() as gone:
        url = gone.url
    messenger = LineMessenger(LineClient(access_token="t", api_url=url))
    with pytest.raises(DeliveryError) as caught:
        messenger.send(TARGET, TextMessage(literal("x")), key="k")
    assert caught.value.permanent is False


def test_reminder_with_many_items_pages_with_next(
    api: FakeLineApi, messenger: LineMessenger
) -> None:
    messenger.send(TARGET, request(30, PURPOSE_REMINDER), key="rem")
    intro, carousel, more = api.pushes[0].messages
    assert intro["text"].startswith("令和5年度 第6次計画 報告のリマインド")
    assert len(carousel["contents"]["contents"]) == 12
    assert "18 件" in more["contents"]["body"]["contents"][0]["text"]


def test_office_digest_is_text(api: FakeLineApi, messenger: LineMessenger) -> None:
    digest = OfficeDigest(
        round_id=7,
        fiscal_year=2023,
        plan_title="第6次計画",
        deadline=date(2024, 5, 31),
        total=10,
        submitted=7,
        missing=(DigestLine("職員課", (PendingItem(3, "3 職員研修"), PendingItem(5, "5 相談"))),),
    )
    messenger.send(Target("line", "Coffice", kind="group"), digest, key="digest")
    [text] = api.pushes[0].texts
    assert "回答 7/10件 ███████░░░ 70%" in text
    assert "・職員課（2件）\n  [3] 職員研修\n  [5] 相談" in text


def test_office_digest_names_departments_an_unconfigured_platform_would_reach(
    api: FakeLineApi, messenger: LineMessenger
) -> None:
    digest = OfficeDigest(
        round_id=7,
        fiscal_year=2023,
        plan_title="第6次計画",
        deadline=date(2024, 5, 31),
        total=10,
        submitted=7,
        missing=(DigestLine("職員課", (PendingItem(3, "3 職員研修"),)),),
        unreachable=(Unreachable("slack", ("職員課", "図書館")),),
    )
    messenger.send(Target("line", "Coffice", kind="group"), digest, key="digest:unreachable")
    [text] = api.pushes[0].texts
    assert text.endswith(
        "Slack が未設定のため依頼が届かない担当課: 職員課、図書館"
        "（SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET を設定してください）"
    )
