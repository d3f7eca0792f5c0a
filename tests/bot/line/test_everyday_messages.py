"""LINE messages the way people really send them, as signed webhooks to the real server:
mentions of the bot in groups, LINE emoji, edits, unsends, unblocking, standby mode.

Payloads come from tests/bot/line/payloads.py (after LINE's reference and line-bot-sdk's
fixtures); every test runs on SQLite and PostgreSQL and checks what is stored and replied.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from bot.line.webhook import CALLBACK_PATH
from handlers.i18n import translator
from models import Assignment, ChatIdentity, Department, Item, Report, ReportRevision
from models.db import transaction
from tests.bot.cli_helpers import make_invoke
from tests.bot.line import payloads
from tests.bot.line.conftest import LineBot, sign
from tests.bot.line.payloads import BOT, bot_mention, group, person

GROUP = "C0a1b2c3d4e5f60718293a4b5c6d7e8f9"
TANAKA = "U0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a01"


def post(bot: LineBot, *events: dict[str, Any]) -> None:
    """One webhook body, with the bot's own id as `destination` (as LINE sends it)."""
    body = json.dumps({"destination": BOT, "events": list(events)}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
    response = httpx.post(bot.url + CALLBACK_PATH, content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def replied(bot: LineBot, count: int) -> list[dict[str, Any]]:
    """Wait for the count-th reply; its messages."""
    return bot.api.wait_for(count, path="/v2/bot/message/reply")[count - 1].messages


def slot(bot: LineBot, item: int, department: str = "女性センター") -> tuple[str | None, str]:
    with transaction(bot.db.factory) as session:
        row = session.execute(
            select(Report.grade, Report.comment)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .join(Department, Department.id == Assignment.department_id)
            .where(Item.number == item, Department.name == department)
        ).one()
    return row[0], row[1]


def mention(text: str, **kw: Any) -> dict[str, Any]:
    """`@hokoku {text}` with the bot's mention object, as LINE's client writes it."""
    return payloads.text_message(f"@hokoku {text}", mentionees=[bot_mention()], **kw)


# --- 5. mentions address the bot ---------------------------------------------------------------


def test_a_group_links_itself_and_answers_by_mentioning_the_bot(line_bot: LineBot) -> None:
    code = line_bot.invite("女性センター")
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), mention(f"link {code}")))
    assert "このグループを女性センターに登録しました" in replied(line_bot, 1)[0]["text"]
    with transaction(line_bot.db.factory) as session:
        linked = session.scalars(select(ChatIdentity.external_id)).all()
    assert linked == [GROUP]

    post(
        line_bot,
        payloads.message_event(group(TANAKA, GROUP), mention("1 B 図書展示を実施")),
        payloads.message_event(group(TANAKA, GROUP), mention("状況")),
    )
    stored, status = replied(line_bot, 2), replied(line_bot, 3)
    assert slot(line_bot, 1) == ("B", "図書展示を実施")
    assert "保存" in stored[0]["text"] and "回答 1/2件" in status[0]["text"]

    # The bot's mention found by its user id (the webhook's destination) alone, mid-text.
    by_id = payloads.text_message(
        "2 A 講座を@hokoku 開催",
        mentionees=[{"index": 7, "length": 7, "type": "user", "userId": BOT}],
    )
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), by_id))
    replied(line_bot, 4)
    assert slot(line_bot, 2) == ("A", "講座を 開催")

    # Group talk without a mention stays the group's: no reply, nothing stored.
    chatter = payloads.text_message("今日の会議は15時からです")
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), chatter))
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), mention("ヘルプ")))
    assert "項目番号" in replied(line_bot, 5)[0]["text"]
    assert len(line_bot.api.replies) == 5


def test_line_emoji_are_left_out_and_other_peoples_mentions_kept(line_bot: LineBot) -> None:
    line_bot.link(TANAKA, "女性センター")
    # "(love)" is how LINE writes an emoji in `text`; its span is in `emojis`.
    text = "2 A @山田 さんと講座を共催 (love)"
    message = payloads.text_message(
        text,
        emojis=[
            {"index": 17, "length": 6, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}
        ],
        mentionees=[{"index": 4, "length": 3, "type": "user", "userId": "U0yamada"}],
    )
    assert text[17:23] == "(love)"
    post(line_bot, payloads.message_event(person(TANAKA), message))
    replied(line_bot, 1)
    assert slot(line_bot, 2) == ("A", "@山田 さんと講座を共催")


# --- 2. edits are revisions ---------------------------------------------------------------------


def test_an_edited_group_answer_is_a_new_revision_replied_against_the_message(
    line_bot: LineBot,
) -> None:
    line_bot.link(GROUP, "女性センター", kind="group")
    original = mention("1 B 図書展示", message_id="530000000000000001")
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), original))
    replied(line_bot, 1)
    edited = mention("1 A 図書展示と講演会", message_id=original["id"])
    edit = payloads.edited_event(group(TANAKA, GROUP), edited)
    post(line_bot, edit)
    [said] = replied(line_bot, 2)
    assert said["quoteToken"] == edited["quoteToken"]  # shown against the edited message
    assert "編集を反映しました" in said["text"] and "B → A（コメントも更新）" in said["text"]
    assert slot(line_bot, 1) == ("A", "図書展示と講演会")
    # LINE redelivers the edit; then an edit that changes nothing the bot reads.
    post(line_bot, {**edit, "deliveryContext": {"isRedelivery": True}})
    again = mention("1 A 図書展示と講演会 ", message_id=original["id"])
    post(line_bot, payloads.edited_event(group(TANAKA, GROUP), again))
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), mention("ヘルプ")))
    replied(line_bot, 3)
    assert len(line_bot.api.replies) == 3
    with transaction(line_bot.db.factory) as session:
        grades = session.scalars(select(ReportRevision.grade).order_by(ReportRevision.id)).all()
    assert grades == ["B", "A"]


def test_an_edit_the_sdk_cannot_read_is_read_from_the_json(line_bot: LineBot) -> None:
    """A messageEdited without the quoteToken the SDK's model requires (or from before
    the SDK knew the event) is still applied."""
    line_bot.link(GROUP, "女性センター", kind="group")
    original = payloads.text_message("2 C 講座は未開催", message_id="530000000000000077")
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), original))
    replied(line_bot, 1)
    edited = payloads.text_message("2 B 講座を1回開催", message_id=original["id"])
    del edited["quoteToken"]
    post(line_bot, payloads.edited_event(group(TANAKA, GROUP), edited))
    [said] = replied(line_bot, 2)
    assert "C → B" in said["text"] and "quoteToken" not in said
    assert slot(line_bot, 2) == ("B", "講座を1回開催")


# --- 3. unsend withdraws ------------------------------------------------------------------------


def test_unsend_withdraws_the_answer_and_the_office_sees_it_in_the_history(
    line_bot: LineBot,
) -> None:
    line_bot.link(TANAKA, "女性センター")
    line_bot.api.profiles[TANAKA] = "田中 花子"
    first = payloads.text_message("1 C 一部実施")
    second = payloads.text_message("1 B 図書展示を実施")
    post(line_bot, payloads.message_event(person(TANAKA), first))
    post(line_bot, payloads.message_event(person(TANAKA), second))
    replied(line_bot, 2)
    unsend = payloads.unsend_event(person(TANAKA), second["id"])
    post(line_bot, unsend)
    post(line_bot, {**unsend, "deliveryContext": {"isRedelivery": True}})
    assert slot(line_bot, 1) == ("C", "一部実施")
    post(line_bot, payloads.unsend_event(person(TANAKA), first["id"]))
    assert slot(line_bot, 1) == (None, "")
    assert len(line_bot.api.replies) == 2  # an unsend has no reply token: it is pushed
    pushed = line_bot.api.wait_for(2, path="/v2/bot/message/push")
    assert len(line_bot.api.pushes) == 2  # the redelivered unsend told nobody twice
    assert [p.body["to"] for p in pushed] == [TANAKA, TANAKA]
    texts = [p.body["messages"][0]["text"] for p in pushed]
    assert "取り消しました" in texts[0] and "B → C（取り消し）" in texts[0]
    assert "C → 未回答（取り消し）" in texts[1]
    assert len({p.retry_key for p in pushed}) == 2  # each by its own key
    history = json.loads(
        make_invoke(line_bot.db)(
            "report", "history", "--dept", "女性センター", "--item", "1", "--json"
        ).stdout
    )
    assert [(h["kind"], h["grade"], h["withdrawn"], h["reporter_name"]) for h in history] == [
        ("answer", "C", True, "田中 花子"),
        ("answer", "B", True, "田中 花子"),
        ("withdrawal", "C", False, "田中 花子"),
        ("withdrawal", None, False, "田中 花子"),
    ]


# --- 6. edge states -----------------------------------------------------------------------------


def test_unblocking_greets_back_and_says_the_link_must_be_made_again(line_bot: LineBot) -> None:
    line_bot.link(TANAKA, "女性センター")
    post(line_bot, payloads.unfollow_event(TANAKA))  # blocked: the link ends
    post(line_bot, payloads.follow_event(TANAKA, unblocked=True))
    [greeting] = replied(line_bot, 1)
    assert greeting["text"] == translator("ja")("greeting.unblocked")
    assert "もう一度" in greeting["text"] and "link" in greeting["text"]
    post(line_bot, payloads.follow_event("U0new0friend", unblocked=False))
    assert replied(line_bot, 2)[0]["text"] == translator("ja")("greeting.user")


def test_events_in_standby_mode_are_ignored(line_bot: LineBot) -> None:
    line_bot.link(GROUP, "女性センター", kind="group")
    answer = payloads.message_event(group(TANAKA, GROUP), mention("1 B 図書展示"), mode="standby")
    assert "replyToken" not in answer  # LINE sends none in standby
    post(line_bot, answer, payloads.leave_event(GROUP, mode="standby"))
    post(line_bot, payloads.message_event(group(TANAKA, GROUP), mention("ヘルプ")))
    replied(line_bot, 1)
    assert slot(line_bot, 1) == (None, "")
    with transaction(line_bot.db.factory) as session:
        assert session.scalars(select(ReportRevision)).first() is None
        # The standby `leave` did not end the group's link.
        assert session.scalars(select(ChatIdentity.active)).all() == [True]
    assert len(line_bot.api.replies) == 1
