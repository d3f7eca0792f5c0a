"""Slack messages the way people really send them, posted as signed Events API requests to
the real app: files, thread replies, edits, deletes, Slack's markup, channels not linked.

Payloads come from tests/bot/slack/payloads.py (shaped after Slack's reference pages);
every test runs on SQLite and PostgreSQL and checks what is stored and what is replied.
"""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from handlers.i18n import translator
from handlers.reporting.rounds import close_round
from models import WITHDRAWAL, Assignment, Item, Report, ReportRevision, Round
from models.db import transaction
from tests.bot.cli_helpers import make_invoke
from tests.bot.slack import payloads
from tests.bot.slack.harness import SlackHarness, seed
from tests.conftest import Db

ITEMS = [("広報", ["女性センター"]), ("研修", ["女性センター"]), ("相談", ["女性センター"])]
ITEMS += [("講座", ["女性センター"]), ("啓発", ["女性センター"])]
USER = "U0JIMU01"
DM = "D0JIMU01"
_events = iter(range(1, 10_000))


def send(slack: SlackHarness, event: dict[str, Any], **kw: Any) -> str:
    """Post the event; returns its event_id (to send it again as Slack's retry)."""
    event_id = kw.pop("event_id", None) or f"Ev0EVERYDAY{next(_events):04d}"
    response = slack.event(event, event_id=event_id, **kw)
    assert response.status_code == 200, response.text
    return event_id


def slot(db: Db, item: int) -> tuple[str | None, str]:
    with transaction(db.factory) as session:
        row = session.execute(
            select(Report.grade, Report.comment)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .where(Item.number == item)
        ).one()
    return row[0], row[1]


def revisions(db: Db) -> list[tuple[str | None, str, str | None, str]]:
    with transaction(db.factory) as session:
        rows = session.execute(
            select(
                ReportRevision.grade,
                ReportRevision.kind,
                ReportRevision.message_key,
                ReportRevision.comment,
            ).order_by(ReportRevision.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def posts(slack: SlackHarness) -> list[dict[str, Any]]:
    return [c.body for c in slack.api.of("chat.postMessage")]


def linked(db: Db) -> None:
    seed(db, items=ITEMS, links={USER: [("女性センター", "member")]})


# --- 1. every message that carries an answer is read as one ---------------------------------


def test_an_answer_sent_with_a_file_is_stored_with_the_files_name(
    db: Db, slack: SlackHarness
) -> None:
    linked(db)
    pdf = payloads.file("研修資料.pdf", user=USER)
    send(slack, payloads.file_share(USER, "4 B 研修資料を添付します", pdf, channel=DM))
    assert slot(db, 4) == ("B", "研修資料を添付します\n（添付: 研修資料.pdf）")
    [reply] = posts(slack)
    assert reply["channel"] == DM and "保存" in reply["text"]
    # A photo with its caption: the same.
    photo = payloads.file("IMG_0412.jpg", user=USER, mimetype="image/jpeg")
    send(slack, payloads.file_share(USER, "5 A 講座の様子です", photo, channel=DM))
    assert slot(db, 5) == ("A", "講座の様子です\n（添付: IMG_0412.jpg）")


def test_a_thread_reply_also_sent_to_the_dm_is_an_answer_confirmed_in_its_thread(
    db: Db, slack: SlackHarness
) -> None:
    linked(db)
    root = payloads.message(USER, "来週まとめて送ります", channel=DM)
    send(slack, root)  # not an answer: a polite problem reply, nothing stored
    slack.api.reset()
    send(
        slack,
        payloads.thread_broadcast(
            USER, "2 A 全職員研修を実施", channel=DM, thread_ts=root["ts"], root_text="来週"
        ),
    )
    assert slot(db, 2) == ("A", "全職員研修を実施")
    [reply] = posts(slack)
    assert reply["thread_ts"] == root["ts"] and "保存" in reply["text"]


def test_a_thread_reply_in_the_dm_is_confirmed_in_the_thread(db: Db, slack: SlackHarness) -> None:
    linked(db)
    root = payloads.message(USER, "1 C 一部実施", channel=DM)
    send(slack, root)
    reply_in_thread = payloads.message(USER, "3 B 相談窓口を周知", channel=DM, thread_ts=root["ts"])
    send(slack, reply_in_thread)
    assert slot(db, 3) == ("B", "相談窓口を周知")
    first, second = posts(slack)
    assert first.get("thread_ts") is None
    assert second["thread_ts"] == root["ts"]


# --- 2. edits are revisions -------------------------------------------------------------------


def test_editing_a_refused_answer_stores_it_and_the_reply_goes_to_the_edited_message(
    db: Db, slack: SlackHarness
) -> None:
    linked(db)
    original = payloads.message(USER, "5 X 啓発パネル展を開催", channel=DM)
    send(slack, original)
    assert slot(db, 5) == (None, "")
    send(slack, payloads.changed(original, "5 B 啓発パネル展を開催"))
    assert slot(db, 5) == ("B", "啓発パネル展を開催")
    refused, applied = posts(slack)
    assert "X" in refused["text"]
    assert applied["thread_ts"] == original["ts"]
    assert "編集を反映しました" in applied["text"] and "未回答 → B" in applied["text"]
    key = f"slack:{DM}:{original['ts']}"
    assert revisions(db) == [("B", "answer", key, "啓発パネル展を開催")]


def test_an_edit_from_b_to_a_is_a_new_revision_and_slacks_retry_stores_nothing_twice(
    db: Db, slack: SlackHarness
) -> None:
    linked(db)
    original = payloads.message(USER, "1 B 市広報紙で周知\n2 C 研修は一部のみ", channel=DM)
    send(slack, original)
    edit = payloads.changed(original, "1 A 市広報紙とHPで周知\n2 C 研修は一部のみ")
    event_id = send(slack, edit)
    send(slack, edit, event_id=event_id, retry_num=1)  # Slack's retry of the same edit
    assert slot(db, 1) == ("A", "市広報紙とHPで周知")
    assert [r[0] for r in revisions(db)] == ["B", "C", "A"]
    replies = posts(slack)
    assert len(replies) == 2
    said = replies[1]["text"]
    assert "B → A（コメントも更新）" in said and "[2]" not in said  # item 2 did not change


def test_an_edit_that_changes_no_answer_is_silent(db: Db, slack: SlackHarness) -> None:
    linked(db)
    original = payloads.message(USER, "1 B 市広報紙で周知", channel=DM)
    send(slack, original)
    # Slack's message_changed when a link preview is added: same text, attachments added.
    send(slack, payloads.changed(original, original["text"], attachments=[{"id": 1}]))
    # An edit of the spacing only: the answer it reads is the same.
    send(slack, payloads.changed(original, "1 B  市広報紙で周知 "))
    # An edit of chatter that never was an answer is not read again.
    chatter = payloads.message(USER, "よろしくお願いします", channel=DM)
    send(slack, chatter)
    send(slack, payloads.changed(chatter, "よろしくお願いいたします"))
    assert len(posts(slack)) == 2  # the answer's confirmation, the chatter's help
    assert [r[0] for r in revisions(db)] == ["B"]


def test_an_edit_dropping_an_answer_withdraws_it(db: Db, slack: SlackHarness) -> None:
    linked(db)
    original = payloads.message(USER, "1 B 周知\n3 C 相談", channel=DM)
    send(slack, original)
    send(slack, payloads.changed(original, "1 B 周知"))
    assert slot(db, 3) == (None, "")
    assert "C → 未回答（取り消し）" in posts(slack)[-1]["text"]


def test_an_edit_of_a_message_older_than_the_rounds_close_is_refused_politely(
    db: Db, slack: SlackHarness
) -> None:
    data = seed(db, items=ITEMS, links={USER: [("女性センター", "member")]})
    original = payloads.message(USER, "1 B 周知", channel=DM)
    send(slack, original)
    with transaction(db.factory) as session:
        close_round(session, rnd=session.get_one(Round, data.round_id))
    send(slack, payloads.changed(original, "1 A 周知を強化"))
    assert slot(db, 1) == ("B", "周知")
    reply = posts(slack)[-1]
    assert "締め切られる前" in reply["text"] and "新しいメッセージ" in reply["text"]
    assert reply["thread_ts"] == original["ts"]


# --- 3. deleting withdraws ------------------------------------------------------------------


def test_deleting_answers_puts_them_back_and_the_history_shows_it(
    db: Db, slack: SlackHarness
) -> None:
    linked(db)
    first = payloads.message(USER, "1 B 市広報紙で周知", channel=DM)
    second = payloads.message(USER, "1 A 市広報紙とHPで周知", channel=DM)
    send(slack, first)
    send(slack, second)
    delete = payloads.deleted(second)
    event_id = send(slack, delete)
    send(slack, delete, event_id=event_id, retry_num=1)
    assert slot(db, 1) == ("B", "市広報紙で周知")  # back to the answer before
    told = posts(slack)[-1]
    assert told["channel"] == DM
    assert "取り消しました" in told["text"] and "A → B（取り消し）" in told["text"]
    send(slack, payloads.deleted(first))
    assert slot(db, 1) == (None, "")  # nothing before it: unanswered
    assert "B → 未回答（取り消し）" in posts(slack)[-1]["text"]
    assert len(posts(slack)) == 4  # the retry of the delete told nobody twice

    history = json.loads(
        make_invoke(db)(
            "report", "history", "--dept", "女性センター", "--item", "1", "--json"
        ).stdout
    )
    assert [(h["kind"], h["grade"], h["withdrawn"]) for h in history] == [
        ("answer", "B", True),
        ("answer", "A", True),
        (WITHDRAWAL, "B", False),
        (WITHDRAWAL, None, False),
    ]
    table = make_invoke(db, COLUMNS="250")(
        "report", "history", "--dept", "女性センター", "--item", "1"
    ).stdout
    assert "取り消し → B" in table and "取り消し → 未回答" in table


# --- 4. plain text in, plain text stored -----------------------------------------------------


def test_slack_markup_is_stored_as_plain_text_and_the_handout_shows_it(
    db: Db, slack: SlackHarness
) -> None:
    seed(
        db,
        items=ITEMS,
        links={USER: [("女性センター", "member")], "U0OFFICE1": [("女性センター", "office")]},
    )
    slack.api.users["U0YAMADA1"] = payloads.user("U0YAMADA1", "山田 花子")
    # As Slack sends what was typed: `&` `>` escaped, the URL and the mention as tokens.
    send(
        slack,
        payloads.message(
            USER,
            "1 B ・広報紙&amp;HPで周知 <https://www.city.tsurugashima.lg.jp/>\n"
            "2 A <@U0YAMADA1>さんと講座を共催 (参加者&gt;100人)",
            channel=DM,
        ),
    )
    # The mentioned person's name was looked up after the ack; the next mention uses it.
    send(
        slack,
        payloads.message(
            USER,
            "3 B <https://www.city.example.lg.jp/soudan|相談窓口のページ>を更新、"
            "<@U0YAMADA1>さんが担当",
            channel=DM,
        ),
    )
    assert slot(db, 1) == ("B", "・広報紙&HPで周知 https://www.city.tsurugashima.lg.jp/")
    assert slot(db, 2) == ("A", "@U0YAMADA1さんと講座を共催 (参加者>100人)")
    assert slot(db, 3) == (
        "B",
        "相談窓口のページ (https://www.city.example.lg.jp/soudan)を更新、山田 花子さんが担当",
    )
    slack.command("U0OFFICE1", "export", channel="C0OFFICE")
    [upload] = slack.api.of("upload")
    sheet = load_workbook(io.BytesIO(upload.raw)).worksheets[0]
    cells = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "・広報紙&HPで周知 https://www.city.tsurugashima.lg.jp/" in cells
    assert "(参加者>100人)" in cells and "山田 花子さんが担当" in cells
    assert (
        "&amp;" not in cells and "&gt;" not in cells and "<@" not in cells and "<http" not in cells
    )


# --- 6. channels not linked, slash commands -----------------------------------------------------


def test_in_a_channel_not_linked_the_reply_says_it_is_the_channel(
    db: Db, slack: SlackHarness
) -> None:
    linked(db)
    send(slack, payloads.mention(USER, "1 B 周知", channel="C0UNLINKED"))
    send(slack, payloads.mention("U0STRANGER", "1 B 周知", channel="C0UNLINKED"))
    person_linked, nobody_linked = (p["text"] for p in posts(slack))
    t = translator("ja")
    assert person_linked == t(
        "link.required.group_person_linked", departments="女性センター", prefix=""
    )
    assert "このチャンネル（グループ）はまだ担当課に登録されていません" in nobody_linked
    assert "このアカウント" not in person_linked + nobody_linked
    assert slot(db, 1) == (None, "")


def test_a_slash_command_from_a_channel_named_payload_is_a_command(
    db: Db, slack: SlackHarness
) -> None:
    from urllib.parse import urlencode

    linked(db)
    body = urlencode(
        {
            "token": "x",
            "team_id": "T0TEST",
            "team_domain": "hokoku-test",
            "channel_id": "C0PAYLOAD",
            "channel_name": "payload-kanri",
            "user_id": USER,
            "user_name": "jimu",
            "command": "/hokoku",
            "text": "help",
            "api_app_id": "A0TEST",
            "response_url": slack.api.url.removesuffix("/api/") + "/response/1",
            "trigger_id": "trig-payload",
        }
    )
    response = slack.post(body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "/hokoku 報告 / report" in response.json()["text"]


# --- 7. the office reads people, not ids ------------------------------------------------------


def test_the_history_names_the_person_and_marks_the_offices_proxy_answers(
    db: Db, slack: SlackHarness
) -> None:
    seed(
        db,
        items=ITEMS,
        links={
            USER: [("女性センター", "member")],
            "U0OFFICE1": [("男女共同参画室", "office")],
            "U0NOSCOPE": [("女性センター", "member")],
        },
    )
    slack.api.users[USER] = payloads.user(USER, "女性センター 田中", real_name="田中 一郎")
    slack.api.users["U0OFFICE1"] = payloads.user("U0OFFICE1", "事務局 鈴木")
    send(slack, payloads.message(USER, "1 C 一部実施", channel=DM))
    # The office answers for 女性センター: `dept 女性センター`, then the answer.
    slack.command("U0OFFICE1", "dept 女性センター")
    send(slack, payloads.message("U0OFFICE1", "1 B 郵送の回答を代理入力", channel="D0OFFICE1"))
    # Without the users:read scope Slack will not say who U0NOSCOPE is.
    slack.api.fail_once("users.info", error="missing_scope")
    send(slack, payloads.message("U0NOSCOPE", "1 A 追記", channel="D0NOSCOPE"))

    history = json.loads(
        make_invoke(db)(
            "report", "history", "--dept", "女性センター", "--item", "1", "--json"
        ).stdout
    )
    assert [(h["reporter"], h["reporter_name"], h["proxy"]) for h in history] == [
        (USER, "女性センター 田中", False),
        ("U0OFFICE1", "事務局 鈴木", True),
        ("U0NOSCOPE", "女性センター（Slack）", False),
    ]
    table = make_invoke(db, COLUMNS="250")(
        "report", "history", "--dept", "女性センター", "--item", "1"
    ).stdout
    assert "事務局 鈴木（代理）" in table


def test_an_answer_by_mention_in_a_channel_follows_its_edit_and_its_delete(
    db: Db, slack: SlackHarness
) -> None:
    """With the channel's messages subscribed (message.channels), Slack sends the edit and
    the delete of an @hokoku answer: the channel's department's answer follows them."""
    seed(db, items=ITEMS, links={"C0WOMEN": [("女性センター", "member")]})
    original = payloads.mention(USER, "1 B 図書展示", channel="C0WOMEN")
    send(slack, original)
    as_channel_message = {**original, "type": "message", "channel_type": "channel"}
    send(slack, payloads.changed(as_channel_message, "<@UBOT> 1 A 図書展示と講演会"))
    assert slot(db, 1) == ("A", "図書展示と講演会")
    # An edit of the channel's own talk (no mention of the bot) is not read.
    talk = payloads.message(USER, "1 C 会議メモ", channel="C0WOMEN", channel_type="channel")
    send(slack, payloads.changed(talk, "1 D 会議メモ"))
    send(slack, payloads.deleted(as_channel_message))
    assert slot(db, 1) == (None, "")
    stored, edited, withdrawn = posts(slack)
    assert {p["channel"] for p in (stored, edited, withdrawn)} == {"C0WOMEN"}
    assert edited["thread_ts"] == original["ts"] and "B → A" in edited["text"]
    assert "取り消しました" in withdrawn["text"]
