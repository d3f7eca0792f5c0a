"""The answer modal over real HTTP: open, page through 40 items, validate, store, revise."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.slack import ids
from models import Assignment, Item, Report, ReportRevision
from models.db import transaction
from tests.bot.slack.harness import SlackHarness, seed
from tests.conftest import Db


def answers(db: Db, department_id: int) -> dict[int, tuple[str | None, str]]:
    with transaction(db.factory) as session:
        rows = session.execute(
            select(Item.number, Report.grade, Report.comment)
            .join(Assignment, Assignment.item_id == Item.id)
            .join(Report, Report.assignment_id == Assignment.id)
            .where(Assignment.department_id == department_id)
        ).all()
    return {n: (g, c) for n, g, c in rows}


def opened_view(slack: SlackHarness) -> dict[str, Any]:
    """The view of the last views.open, with the id the fake gave it."""
    call = slack.api.of("views.open")[-1]
    view = call.json_field("view")
    view["id"] = "V_ANSWER"
    view["hash"] = "h0"
    return view


def item_numbers(view: dict[str, Any]) -> list[int]:
    found = [ids.parse_item_block(b.get("block_id", "")) for b in view["blocks"]]
    return [p[1] for p in found if p and p[0] == "grade"]


def state(entries: dict[int, tuple[str | None, str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for number, (grade, comment) in entries.items():
        values[ids.grade_block(number)] = {
            ids.ACTION_GRADE: {
                "type": "static_select",
                "selected_option": {"value": grade} if grade else None,
            }
        }
        values[ids.comment_block(number)] = {
            ids.ACTION_COMMENT: {"type": "plain_text_input", "value": comment or None}
        }
    return values


def blank(view: dict[str, Any]) -> dict[str, Any]:
    return state({n: (None, "") for n in item_numbers(view)})


def test_forty_items_pages_keep_page_one_and_store_everything(db: Db, slack: SlackHarness) -> None:
    data = seed(
        db,
        items=[(f"取組{i}", ["女性センター"]) for i in range(1, 41)],
        links={"U1": [("女性センター", "member")]},
    )
    slack.click("U1", ids.ACTION_OPEN_REPORT, data.button("女性センター"))
    view = opened_view(slack)
    assert len(view["blocks"]) <= 100
    assert item_numbers(view) == list(range(1, 11))
    assert view["submit"]["text"].startswith("次へ")

    page1 = {n: ("B", f"第{n}項の報告") for n in range(1, 11)}
    response = slack.submit("U1", view, state(page1))
    body = response.json()
    assert body["response_action"] == "update"
    page2 = {**body["view"], "id": "V_ANSWER", "hash": "h1"}
    assert item_numbers(page2) == list(range(11, 21))
    assert answers(db, data.departments["女性センター"])[1] == (None, "")  # not stored yet

    page3 = {**slack.submit("U1", page2, blank(page2)).json()["view"], "id": "V_ANSWER"}
    assert item_numbers(page3) == list(range(21, 31))

    # Back from page 3 to page 2 and on to page 3: what was typed is kept (draft).
    typed3 = {21: ("A", "前倒しで実施"), 25: ("D", "")}
    slack.click("U1", ids.ACTION_PAGE_BACK, "1", view={**page3, "state": {"values": state(typed3)}})
    back = slack.api.of("views.update")[-1]
    assert back.body["view_id"] == "V_ANSWER"
    assert item_numbers(back.json_field("view")) == list(range(11, 21))
    again3 = {**slack.submit("U1", page2, blank(page2)).json()["view"], "id": "V_ANSWER"}
    prefilled = {
        b["block_id"]: b["element"].get("initial_option", {}).get("value")
        for b in again3["blocks"]
        if b.get("block_id", "").startswith("grade_")
    }
    assert prefilled["grade_21"] == "A" and prefilled["grade_25"] == "D"

    page4 = {**slack.submit("U1", again3, state(typed3)).json()["view"], "id": "V_ANSWER"}
    assert item_numbers(page4) == list(range(31, 41))
    assert page4["submit"]["text"] == "送信"
    final = slack.submit("U1", page4, state({40: ("C", "一部未実施")}))
    assert final.status_code == 200 and final.content in (b"", b"{}")

    stored = answers(db, data.departments["女性センター"])
    assert stored[1] == ("B", "第1項の報告") and stored[10] == ("B", "第10項の報告")
    assert stored[21] == ("A", "前倒しで実施") and stored[25] == ("D", "")
    assert stored[40] == ("C", "一部未実施")
    assert sum(1 for g, _ in stored.values() if g) == 13
    [confirm] = slack.api.of("chat.postMessage")
    assert confirm.body["channel"] == "DU1"
    assert "受け付けました（13件）" in confirm.body["text"]
    assert "未回答 27件" in confirm.body["text"]

    # The same submission again (a retry): nothing stored twice, no second DM.
    slack.submit("U1", page4, state({40: ("C", "一部未実施")}))
    with transaction(db.factory) as session:
        assert len(session.scalars(select(ReportRevision)).all()) == 13
    assert len(slack.api.of("chat.postMessage")) == 1


def test_bad_grade_and_comment_only_get_errors_on_their_blocks(db: Db, slack: SlackHarness) -> None:
    data = seed(
        db,
        items=[("広報", ["女性センター"]), ("研修", ["女性センター"])],
        links={"U1": [("女性センター", "member")]},
    )
    slack.click("U1", ids.ACTION_OPEN_REPORT, data.button("女性センター"))
    view = opened_view(slack)
    body = slack.submit("U1", view, state({1: ("Z", "?"), 2: (None, "コメントだけ")})).json()
    assert body["response_action"] == "errors"
    assert "A／B／C／D" in body["errors"]["grade_1"]
    assert "達成度も選んでください" in body["errors"]["grade_2"]
    too_long = slack.submit("U1", view, state({1: ("A", "あ" * 3001)})).json()
    assert "3000字以内" in too_long["errors"]["comment_1"]
    assert answers(db, data.departments["女性センター"]) == {1: (None, ""), 2: (None, "")}
    assert slack.api.of("chat.postMessage") == []


def test_other_departments_button_is_refused(db: Db, slack: SlackHarness) -> None:
    data = seed(
        db,
        items=[("広報", ["女性センター"]), ("道路", ["道路課"])],
        links={"U1": [("女性センター", "member")]},
    )
    slack.click("U1", ids.ACTION_OPEN_REPORT, data.button("道路課"))
    assert slack.api.of("views.open") == []
    [refusal] = slack.api.of("chat.postMessage")
    assert "道路課の項目には回答できません" in refusal.body["text"]
    # A forged submission for that department changes nothing either.
    forged = {
        "id": "V_X",
        "type": "modal",
        "hash": "h",
        "callback_id": ids.CALLBACK_ANSWER,
        "private_metadata": json.dumps(
            {"r": data.round_id, "d": data.departments["道路課"], "p": 0}
        ),
    }
    body = slack.submit("U1", forged, state({2: ("A", "")})).json()
    assert body["response_action"] == "errors"
    assert answers(db, data.departments["道路課"]) == {2: (None, "")}


def test_revision_prefills_current_answer_and_keeps_history(db: Db, slack: SlackHarness) -> None:
    data = seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    slack.click("U1", ids.ACTION_OPEN_REPORT, data.button("女性センター"))
    slack.submit("U1", opened_view(slack), state({1: ("C", "予定の半分")}))

    slack.click("U1", ids.ACTION_OPEN_REPORT, data.button("女性センター"))
    view = opened_view(slack)
    view["id"] = "V_SECOND"
    grade = next(b for b in view["blocks"] if b.get("block_id") == "grade_1")
    comment = next(b for b in view["blocks"] if b.get("block_id") == "comment_1")
    assert grade["element"]["initial_option"]["value"] == "C"
    assert comment["element"]["initial_value"] == "予定の半分"
    slack.submit("U1", view, state({1: ("B", "年度末までに実施")}))

    assert answers(db, data.departments["女性センター"]) == {1: ("B", "年度末までに実施")}
    with transaction(db.factory) as session:
        revisions = session.scalars(select(ReportRevision).order_by(ReportRevision.revision)).all()
        assert [(r.grade, r.reporter, r.channel) for r in revisions] == [
            ("C", "U1", "slack"),
            ("B", "U1", "slack"),
        ]
    assert "修正（第2版）" in slack.api.of("chat.postMessage")[-1].body["text"]


def test_office_answers_for_a_department_by_proxy(db: Db, slack: SlackHarness) -> None:
    data = seed(
        db,
        items=[("道路", ["道路課"])],
        links={"UOFF": [("女性センター", "office")]},
    )
    slack.command("UOFF", "report 道路課")
    view = opened_view(slack)
    slack.submit("UOFF", view, state({1: ("A", "事務局が代理入力")}))
    assert answers(db, data.departments["道路課"]) == {1: ("A", "事務局が代理入力")}
