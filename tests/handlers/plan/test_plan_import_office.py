"""Importing the tables an office really has: suspicious 担当課 cells, cover sheets, (再掲)
items, another file for the same plan, renamed departments, folded lookups."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.export.table import build_table
from handlers.i18n import Message, translator
from handlers.organization.directory import (
    find_department,
    get_or_create_organization,
    resolve_plan,
)
from handlers.plan.table_import import ImportResult, PlanImportError, import_plan, parse_renames
from handlers.plan.table_import.columns import ColumnOverrides
from handlers.plan.table_import.departments import read_department_cell
from handlers.reporting.reports import department_slots, submit_answer
from handlers.reporting.rounds import close_round
from handlers.reporting.status import summarize
from models import Assignment, Department, DepartmentAlias, Item, Plan, Report, Round
from scheduler.messages import pending_by_department
from tests.factories import open_test_round


def texts(messages: list[Message]) -> list[str]:
    """Warnings as the office reads them (Japanese, the default)."""
    return [translator().render(m) for m in messages]


@pytest.fixture
def org_id(session: Session) -> int:
    return get_or_create_organization(session, name="テスト市").id


def run(session: Session, org_id: int, path: Path, **kw: Any) -> ImportResult:
    return import_plan(session, organization_id=org_id, path=path, **kw)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def item(session: Session, plan_id: int, number: int) -> Item:
    found = session.scalar(select(Item).where(Item.plan_id == plan_id, Item.number == number))
    assert found is not None
    return found


def answer(session: Session, round_id: int, org_id: int, dept: str, number: int, grade: str) -> str:
    return submit_answer(
        session,
        round_id=round_id,
        department_id=find_department(session, organization_id=org_id, name=dept).id,
        item_number=number,
        grade=grade,
        comment=f"{dept}: {grade}",
        reporter="U",
        channel="console",
    ).status


# --- suspicious department cells -------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "names", "kinds"),
    [
        ("協働コミュニティ課・図書館", ["協働コミュニティ課", "図書館"], ["split"]),
        (
            "子育て支援課・保育課・児童青少年課",
            ["子育て支援課", "保育課", "児童青少年課"],
            ["split"],
        ),
        ("市民協働・男女共同参画課", ["市民協働・男女共同参画課"], []),  # one name with ・
        ("健康課 保健係", ["健康課 保健係"], ["subunit"]),
        ("健康課　保健係、職員課", ["健康課 保健係", "職員課"], ["subunit"]),
        ("全課", ["全課"], ["collective"]),
        ("各課", ["各課"], ["collective"]),
        ("関係各課", ["関係各課"], ["collective"]),
        ("職員課 市民課", ["職員課", "市民課"], []),
        ("ｷｮｳｲｸ課／図書館", ["キョウイク課", "図書館"], []),
    ],
)
def test_department_cells(cell: str, names: list[str], kinds: list[str]) -> None:
    read, notes = read_department_cell(cell)
    assert read == names
    assert [n.kind for n in notes] == kinds


def test_suspicious_cells_are_imported_and_reported_with_row_and_column(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    rows = [
        ["施策", "取組項目", "担当課", "関係課"],
        ["(1) 啓発", "1 情報誌の発行", "協働コミュニティ課・図書館", ""],
        ["", "2 健康相談", "健康課 保健係", ""],
        ["", "3 男女別統計", "企画課", "関係各課"],
        ["", "4 研修", "市民協働・男女共同参画課", "各課"],
    ]
    result = run(session, org_id, write_csv(tmp_path / "p.csv", rows))
    assert [w.to_json() for w in result.department_warnings] == [
        {"row": 2, "column": "C", "header": "担当課", "kind": "split",
         "text": "協働コミュニティ課・図書館", "departments": ["協働コミュニティ課", "図書館"]},
        {"row": 3, "column": "C", "header": "担当課", "kind": "subunit",
         "text": "健康課 保健係", "departments": ["健康課 保健係"]},
        {"row": 4, "column": "D", "header": "関係課", "kind": "collective",
         "text": "関係各課", "departments": ["関係各課"]},
        {"row": 5, "column": "D", "header": "関係課", "kind": "collective",
         "text": "各課", "departments": ["各課"]},
    ]  # fmt: skip
    assert texts(result.warnings)[0] == (
        "p.csv 2行目 C列（担当課）: 「協働コミュニティ課・図書館」を 協働コミュニティ課、図書館 の2課に分けました。"
    )
    assert (
        "p.csv 4行目 D列（関係課）: 「関係各課」は特定の担当課ではありません"
        in texts(result.warnings)[2]
    )
    names = set(session.scalars(select(Department.name)))
    assert names == {
        "協働コミュニティ課",
        "図書館",
        "健康課 保健係",
        "企画課",
        "関係各課",
        "市民協働・男女共同参画課",
        "各課",
    }


# --- cover sheets and other headers ----------------------------------------------------


def _workbook(path: Path) -> Path:
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "表紙"
    cover["B3"] = "第3次男女共同参画行動計画 進行管理表"
    cover["B5"] = "令和5年度実績"
    notes = wb.create_sheet("記入要領")
    notes["A1"] = "達成度は A〜D で記入してください"
    table = wb.create_sheet("計画表")
    table.append(["施策", "事業名称", "取組内容", "主管課"])
    table.append(["(1) 意識の啓発", "1 講演会の開催", "市民向け講演会を年1回開催", "人権推進課"])
    table.append(["", "2 情報紙の発行", "年4回発行", "秘書広報課"])
    wb.save(path)
    return path


def test_a_cover_sheet_names_the_sheets_and_suggests_sheet(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    path = _workbook(tmp_path / "計画.xlsx")
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, path)
    message = err.value.message
    assert message.startswith("計画.xlsx: 最初のシート「表紙」は計画表ではないようです")
    assert "シート: 「表紙」、「記入要領」、「計画表」" in message
    assert "計画表らしいシート: 計画表。--sheet 計画表 を付けて取り込んでください。" in message

    result = run(session, org_id, path, overrides=ColumnOverrides(sheet=" 計画表 "))  # folded
    assert (result.sheet, result.items, result.item_label) == ("計画表", 2, "事業名称")
    first = item(session, result.plan_id, 1)
    assert (first.title, first.description) == ("講演会の開催", "市民向け講演会を年1回開催")
    assert [a.department.name for a in first.assignments] == ["人権推進課"]


# --- (再掲) ------------------------------------------------------------------------------

REPOSTS = [
    ["施策", "事業", "担当課", "担当課"],
    ["(1) 意識の啓発", "①情報誌の発行", "協働コミュニティ課", ""],
    ["", "②講座の開催", "協働コミュニティ課", "公民館"],
    ["(2) 学習機会", "①情報誌の発行(再掲)", "協働コミュニティ課", ""],
    ["", "②講座の開催（再掲）", "公民館", ""],  # one of the original's two departments
    ["(3) 相談", "①相談窓口(再掲)", "健康課", ""],  # no original: an item of its own
    ["", "②講座の開催【再掲】", "図書館", ""],  # a department the original lacks
    ["", "③情報誌の発行 再掲", "", ""],  # no department: the original's
]


def test_reposts_link_to_their_original_and_take_no_slot(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    result = run(session, org_id, write_csv(tmp_path / "p.csv", REPOSTS))
    plan_id = result.plan_id
    assert result.reposts == 3
    links = {
        i.number: i.repost_of_id
        for i in session.scalars(select(Item).where(Item.plan_id == plan_id))
    }
    first, second = item(session, plan_id, 1).id, item(session, plan_id, 2).id
    assert links == {1: None, 2: None, 3: first, 4: second, 5: None, 6: None, 7: first}
    assert [a.department.name for a in item(session, plan_id, 7).assignments] == [
        "協働コミュニティ課"
    ]
    assert texts(result.warnings) == [
        "p.csv 6行目「相談窓口(再掲)」: 再掲元の事業が見つからないため、別の事業として回答を求めます。",
        "p.csv 7行目「講座の開催【再掲】」: 再掲元（3行目）にない担当課 図書館 があるため、"
        "別の事業として回答を求めます。",
    ]

    plan = session.get(Plan, plan_id)
    assert plan is not None
    rnd = open_test_round(session, plan)
    assert rnd.slots == 5  # 1, 2 (two departments), 5, 6; not 3, 4, 7
    center = find_department(session, organization_id=org_id, name="協働コミュニティ課")
    slots = department_slots(session, round_id=rnd.id, department_id=center.id)
    assert [s.item_number for s in slots] == [1, 2]
    round_row = session.get_one(Round, rnd.id)
    pending = pending_by_department(session, rnd=round_row, department_ids=[center.id])[center.id]
    assert [p.number for p in pending] == [1, 2]
    # Typing the repost's number answers the original: once, for both rows.
    assert answer(session, rnd.id, org_id, "協働コミュニティ課", 3, "B") == "stored"
    assert answer(session, rnd.id, org_id, "協働コミュニティ課", 1, "B") == "unchanged"
    answer(session, rnd.id, org_id, "協働コミュニティ課", 2, "A")
    answer(session, rnd.id, org_id, "公民館", 2, "C")
    summary = summarize(session, round_id=rnd.id, today=rnd.deadline)
    assert (summary.total, summary.submitted) == (5, 3)

    table = build_table(session, round_id=rnd.id)
    shown = [(r.item_number, r.department, r.grade, r.repost_of) for r in table.rows]
    assert shown == [
        (1, "協働コミュニティ課", "B", None),
        (2, "協働コミュニティ課", "A", None),
        (2, "公民館", "C", None),
        (3, "協働コミュニティ課", "B", 1),
        (4, "公民館", "C", 2),
        (5, "健康課", None, None),
        (6, "図書館", None, None),
        (7, "協働コミュニティ課", "B", 1),
    ]
    comments = {r.item_number: r.comment for r in table.rows}
    assert comments[3] == comments[1] == "・協働コミュニティ課: B"
    assert (
        comments[4]
        == comments[2]
        == "・【協働コミュニティ課】協働コミュニティ課: A\n・【公民館】公民館: C"
    )


def test_reimport_turning_an_item_into_a_repost_and_back(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    before = [
        ["施策", "事業", "担当課"],
        ["(1) 啓発", "①情報誌の発行", "協働コミュニティ課"],
        ["(2) 学習", "①情報誌の発行", "協働コミュニティ課"],
        ["", "②講座", "公民館"],
    ]
    path = write_csv(tmp_path / "p.csv", before)
    result = run(session, org_id, path)
    plan = session.get(Plan, result.plan_id)
    assert plan is not None
    last = open_test_round(session, plan, year=2022)
    answer(session, last.id, org_id, "協働コミュニティ課", 2, "B")
    closed = session.get(Round, last.id)
    assert closed is not None
    close_round(session, rnd=closed)
    this = open_test_round(session, plan, year=2023)
    assert this.slots == 3

    marked = [
        before[0],
        before[1],
        ["(2) 学習", "①情報誌の発行(再掲)", "協働コミュニティ課"],
        before[3],
    ]
    run(session, org_id, write_csv(path, marked))
    assert item(session, plan.id, 2).repost_of_id == item(session, plan.id, 1).id
    count = {
        round_id: len(session.scalars(select(Report).where(Report.round_id == round_id)).all())
        for round_id in (last.id, this.id)
    }
    assert count == {last.id: 3, this.id: 2}  # last year's answer stays; this year's slot goes

    run(session, org_id, write_csv(path, before))
    assert item(session, plan.id, 2).repost_of_id is None
    slots = session.scalars(select(Report).where(Report.round_id == this.id)).all()
    assert len(slots) == 3


# --- the same plan from another file, titles ------------------------------------------


def test_another_file_for_the_same_plan_needs_replace(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    rows = [["基本目標", "取組項目", "担当課"], ["I 啓発", "1 広報", "秘書広報課"]]
    first = run(session, org_id, write_csv(tmp_path / "x.csv", rows), title="第3次計画")
    assert (first.name, first.title) == ("x", "第3次計画")
    again = run(session, org_id, write_csv(tmp_path / "x.csv", rows))  # same file: updates
    assert (again.mode, again.title) == ("replaced", "第3次計画")

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in [*rows, ["", "2 講座", "公民館"]]:
        ws.append(row)
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, tmp_path / "x.xlsx")
    assert err.value.message == (
        f"x.xlsx: 計画「x」（id {first.plan_id}）はすでに x.csv から取り込まれています。"
        "x.xlsx でこの計画を更新するなら --replace を、別の計画として取り込むなら "
        "--name で別の名前を指定してください。"
    )
    assert item(session, first.plan_id, 1).title == "広報"
    replaced = run(session, org_id, tmp_path / "x.xlsx", replace=True)
    assert (replaced.plan_id, replaced.items) == (first.plan_id, 2)
    other = run(session, org_id, tmp_path / "x.xlsx", name="x2")
    assert other.plan_id != first.plan_id and other.title == "x2"


# --- renamed departments on re-import --------------------------------------------------


def test_reimport_maps_renamed_departments(session: Session, org_id: int, tmp_path: Path) -> None:
    header = ["基本目標", "取組項目", "担当課"]
    old = [header, ["I 啓発", "1 広報", "協働コミュニティ課"], ["", "2 講座", "公民館"]]
    new = [header, ["I 啓発", "1 広報", "市民協働課"], ["", "2 講座", "公民館"]]
    path = write_csv(tmp_path / "p.csv", old)
    plan = session.get(Plan, run(session, org_id, path).plan_id)
    assert plan is not None
    rnd = open_test_round(session, plan)
    answer(session, rnd.id, org_id, "協働コミュニティ課", 1, "B")

    with pytest.raises(PlanImportError, match="--rename-dept 旧名=新名"), session.begin_nested():
        run(session, org_id, write_csv(path, new))  # the caller's transaction rolls back
    renames = parse_renames(["協働コミュニティ課＝市民協働課"])
    result = run(session, org_id, write_csv(path, new), renames=renames, actor="cli:t")
    assert result.renamed_departments == [("協働コミュニティ課", "市民協働課")]
    assert result.mode == "updated" and result.removed_assignments == 0
    dept = find_department(session, organization_id=org_id, name="市民協働課")
    [slot] = department_slots(session, round_id=rnd.id, department_id=dept.id)
    assert (slot.item_number, slot.grade) == (1, "B")
    # The same option again is a no-op; last year's table (old name) maps through the alias.
    run(session, org_id, write_csv(path, new), renames=renames)
    again = run(session, org_id, write_csv(path, old))
    assert again.renamed_departments == [] and again.removed_assignments == 0
    assert session.scalars(select(DepartmentAlias.name)).all() == ["協働コミュニティ課"]
    assert len(session.scalars(select(Assignment)).all()) == 2

    with pytest.raises(InvalidInput, match="旧名=新名"):
        parse_renames(["市民協働課"])
    with pytest.raises(InvalidInput, match="担当課「図書館」は登録されていません"):
        run(session, org_id, write_csv(path, new), renames=[("図書館", "市立図書館")])


# --- lookups fold like the import ------------------------------------------------------


def test_lookups_fold_full_width_names(session: Session, org_id: int, tmp_path: Path) -> None:
    rows = [
        ["基本目標", "取組項目", "担当課"],
        ["I 啓発", "1 広報", "子ども家庭支援センター（分室）"],
    ]
    result = run(session, org_id, write_csv(tmp_path / "p.csv", rows), name="第５次（改定）")
    assert result.name == "第5次(改定)"
    for typed in ("第５次（改定）", "第5次(改定)", " 第5次 (改定) ", str(result.plan_id)):
        assert resolve_plan(session, organization_id=org_id, ref=typed).id == result.plan_id
    for typed in (
        "子ども家庭支援センター（分室）",
        "子ども家庭支援センター(分室)",
        "子ども家庭支援センター　(分室)",
    ):
        assert find_department(session, organization_id=org_id, name=typed).name == (
            "子ども家庭支援センター(分室)"
        )
    # Same name typed differently: the same plan, re-imported (not a second plan).
    again = run(session, org_id, write_csv(tmp_path / "p.csv", rows), name="第5次(改定)")
    assert again.plan_id == result.plan_id
