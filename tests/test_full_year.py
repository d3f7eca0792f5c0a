"""A whole reporting year on the Nishitokyo plan (111 items, 216 rows, 35 departments).

7 of the items are (再掲) reposts of another 事業: their 10 rows show the original's answer
and take none of their own, so the round has 206 slots.

import (CLI) → round open (CLI) → every slot answered: most departments chat through the
console adapter (piped text), a few departments' answers arrive on paper and the office
enters them with `report set`, several answers are revised → status numbers (and `status --json`) →
`export` to XLSX read back with openpyxl, cell by cell. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.reporting.rounds import VIEW, resolve_round
from handlers.reporting.status import summarize
from models import Assignment, Department, Item, Plan
from tests.bot.cli_helpers import Invoke, make_invoke
from tests.conftest import Db

GRADES = "ABCD"
PAPER_DEPARTMENTS = 3  # answered by the office from paper forms
SPLIT_DEPARTMENTS = 2  # answer in two console sessions


@dataclass(frozen=True)
class Slot:
    position: int  # plan order of the item × department row
    item_number: int
    item_display: str
    department: str
    answered_on: int  # the item number whose answer the row shows (the original of a 再掲)


def plan_slots(db: Db) -> list[Slot]:
    """Every item × department of the plan, in plan order (what the export must show)."""
    with db.factory() as session:
        numbers = {
            item_id: number for item_id, number in session.execute(select(Item.id, Item.number))
        }
        rows = session.execute(
            select(Item, Department.name)
            .join(Assignment, Assignment.item_id == Item.id)
            .join(Department, Department.id == Assignment.department_id)
            .order_by(Item.position, Assignment.position)
        ).all()
        return [
            Slot(
                index,
                item.number,
                item.display,
                dept,
                numbers[item.repost_of_id] if item.repost_of_id else item.number,
            )
            for index, (item, dept) in enumerate(rows)
        ]


def status_json(db: Db) -> dict[str, Any]:
    """What `hokoku status --json` prints: the handler's summary of the open round."""
    with db.factory() as session:
        rnd = resolve_round(
            session, organization_id=organization_id(session), ref=None, purpose=VIEW
        )
        return summarize(session, round_id=rnd.id, today=date(2024, 5, 1)).to_json()


def organization_id(session: Session) -> int:
    return session.scalars(select(Plan.organization_id)).one()


def ok(invoke: Invoke, *args: str, input: str | None = None) -> str:
    result = invoke(*args, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_full_year_on_the_nishitokyo_plan(db: Db, samples_dir: Path, tmp_path: Path) -> None:
    cli = make_invoke(db)
    imported = json.loads(
        ok(cli, "plan", "import", str(samples_dir / "nishitokyo_plan.csv"), "--json")
    )
    assert (imported["items"], imported["assignments"], imported["departments"]) == (111, 216, 35)
    opened = json.loads(
        ok(
            cli,
            "round",
            "open",
            "--plan",
            "nishitokyo_plan",
            "--year",
            "2023",
            "--opens",
            "2024-04-01",
            "--deadline",
            "2099-05-31",
            "--json",
        )
    )
    assert (imported["reposts"], opened["label"], opened["slots"]) == (7, "令和5年度", 206)

    rows = plan_slots(db)
    assert len(rows) == 216
    slots = [row for row in rows if row.answered_on == row.item_number]  # the 206 to answer
    assert len(slots) == 206
    by_dept: dict[str, list[Slot]] = {}
    for slot in slots:
        by_dept.setdefault(slot.department, []).append(slot)
    # Largest departments first: they chat (the biggest in two sessions); the last few,
    # owning one or two items each, send paper forms.
    departments = sorted(by_dept, key=lambda d: (-len(by_dept[d]), d))
    paper = departments[-PAPER_DEPARTMENTS:]
    chat = departments[:-PAPER_DEPARTMENTS]

    # What every slot must end up with: (grade, comment).
    final: dict[tuple[str, int], tuple[str, str]] = {}
    for slot in slots:
        grade = GRADES[slot.position % len(GRADES)]
        final[(slot.department, slot.item_number)] = (
            grade,
            f"{slot.department}は項目{slot.item_number}を実施した（{grade}）",
        )

    def line(dept: str, slot: Slot, *, full_width: bool = False) -> str:
        grade, comment = final[(dept, slot.item_number)]
        if full_width:  # as typed on a Japanese IME: １２　ｂ
            number = str(slot.item_number).translate(
                str.maketrans("0123456789", "０１２３４５６７８９")
            )
            return f"{number}　{grade.lower()}　{comment}"
        return f"{slot.item_number} {grade} {comment}"

    # Chatting departments: one console session each, the first ones in two sessions.
    for n, dept in enumerate(chat):
        own = by_dept[dept]
        sessions = [own[: len(own) // 2], own[len(own) // 2 :]] if n < SPLIT_DEPARTMENTS else [own]
        for part in sessions:
            if not part:
                continue
            script = "".join(line(dept, s, full_width=n == 2) + "\n" for s in part) + "未回答\n"
            out = ok(cli, "console", "--dept", dept, "--as", f"staff{n}", input=script)
            assert out.count("… 保存") == len(part), out
        assert f"{dept}: 全{len(own)}件すべて回答済みです" in out

    # Halfway: the paper departments are still missing.
    missing = sum(len(by_dept[d]) for d in paper)
    halfway = status_json(db)
    assert (halfway["total"], halfway["submitted"]) == (206, 206 - missing)

    # The office types in the paper forms.
    for dept in paper:
        for slot in by_dept[dept]:
            grade, comment = final[(dept, slot.item_number)]
            out = ok(
                cli,
                "report",
                "set",
                "--dept",
                dept,
                "--item",
                str(slot.item_number),
                "--grade",
                grade,
                "--comment",
                comment,
                "--by",
                "事務局（紙）",
            )
            assert "… 保存" in out

    # Revisions: a chatting department corrects three answers, the office corrects one.
    reviser = chat[0]
    revised = by_dept[reviser][:3]
    script = ""
    for slot in revised:
        final[(reviser, slot.item_number)] = ("A", f"訂正: 項目{slot.item_number}は計画以上")
        script += line(reviser, slot) + "\n"
    out = ok(cli, "console", "--dept", reviser, "--as", "staff0", input=script)
    assert out.count("修正（第2版）") == 3
    fixed = by_dept[chat[1]][0]
    final[(chat[1], fixed.item_number)] = ("D", "事務局が訂正: 未着手")
    out = ok(
        cli,
        "report",
        "set",
        "--dept",
        chat[1],
        "--item",
        str(fixed.item_number),
        "--grade",
        "D",
        "--comment",
        "事務局が訂正: 未着手",
    )
    assert "修正（第2版）" in out
    history = json.loads(
        ok(cli, "report", "history", "--dept", chat[1], "--item", str(fixed.item_number), "--json")
    )
    assert [(h["revision"], h["channel"]) for h in history] == [(1, "console"), (2, "office")]

    # Status: every number.
    status = status_json(db)
    expected_grades = Counter(grade for grade, _ in final.values())
    assert (status["total"], status["submitted"], status["percent"]) == (206, 206, 100)
    assert status["grades"] == {g: expected_grades[g] for g in GRADES}
    assert sum(status["grades"].values()) == 206
    per_dept = {
        d["name"]: (d["total"], d["submitted"], d["overdue"]) for d in status["departments"]
    }
    assert per_dept == {d: (len(s), len(s), 0) for d, s in by_dept.items()}
    assert sum(t for t, _, _ in per_dept.values()) == 206

    # `hokoku status` and `hokoku export` come from the export branch; until it is merged
    # this last part skips (the numbers above are already checked through the handler).
    pytest.importorskip("handlers.export.table_xlsx", reason="hokoku export not merged yet")
    # The CLI adds the plan's indicators (none in this plan) to the handler's numbers.
    assert json.loads(ok(cli, "status", "--json")) == {**status, "indicators": []}

    # Export, read back cell by cell: title, legend and a spacer row stand above the table.
    target = tmp_path / "達成状況一覧.xlsx"
    ok(cli, "export", "-o", str(target))
    sheet = openpyxl.load_workbook(target).worksheets[0]
    header = 4
    mark = "（R5）"  # FY2023
    assert [c.value for c in sheet[header]] == [
        "基本目標",
        "課題",
        "施策",
        "事業",
        f"担当課{mark}",
        f"達成度{mark}",
        f"取組計画と達成状況{mark}",
    ]
    assert sheet.max_row == header + 216
    for slot in rows:  # every department and grade cell, in plan order; a 再掲 row shows
        row = slot.position + header + 1  # the grade its department gave on the original
        assert sheet.cell(row, 5).value == slot.department, row
        assert sheet.cell(row, 6).value == final[(slot.department, slot.answered_on)][0], row
    assert [sheet.cell(header + 1, c).value for c in range(1, 5)] == [
        "I 人権の尊重",
        "I-1★ 男女の固定的性別役割分担意識の解消",
        "(1) 男女平等参画推進のための意識啓発と情報提供",
        "①情報誌パリティの発行と配布",
    ]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    first_row: dict[int, int] = {}
    for slot in rows:
        first_row.setdefault(slot.item_number, slot.position + header + 1)
    # single and several departments, first and last item, and 再掲 rows showing the
    # original's comment: 14 reposts 1, 83 reposts 77 with 3 of its 4 departments, 105
    # reposts 4 with 1 of its 3 departments.
    reposts = {s.item_number: s.answered_on for s in rows if s.answered_on != s.item_number}
    assert {14: 1, 83: 77, 105: 4}.items() <= reposts.items()
    for number in (1, 2, 5, 111, 14, 83, 105):
        item_slots = [s for s in rows if s.item_number == number]
        top = first_row[number]
        source = item_slots[0].answered_on
        comments = [
            (s.department, final[(s.department, source)][1])
            for s in rows
            if s.item_number == source
        ]
        if len(comments) == 1:
            expected = f"・{comments[0][1]}"
        else:
            expected = "\n".join(f"・【{dept}】{text}" for dept, text in comments)
        if len(item_slots) > 1:
            bottom = top + len(item_slots) - 1
            assert f"D{top}:D{bottom}" in merged and f"G{top}:G{bottom}" in merged
        assert sheet.cell(top, 4).value == item_slots[0].item_display
        assert sheet.cell(top, 7).value == expected, number
