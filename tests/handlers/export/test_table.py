"""The 達成状況一覧 of a small two-level round, written as XLSX and CSV and read back cell by cell."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.orm import Session

from handlers.export.table import ExportTable, build_table, neutralize
from handlers.export.table_csv import write_csv
from handlers.export.table_layout import Page
from handlers.export.table_xlsx import write_xlsx
from handlers.organization.directory import find_department, get_or_create_department
from handlers.plan.lineage import continue_plan
from handlers.reporting.handout import merge_comments
from handlers.reporting.reports import submit_answer
from handlers.scale import GradeScale
from handlers.typesetting import display_width, wrapped_lines
from models import Assignment, Item, Plan, PlanNode
from tests.factories import build_plan, open_test_round

EVIL_TITLE = '=HYPERLINK("http://evil.example","x")'
EVIL_COMMENT = '=HYPERLINK("http://evil.example","click")'
HEADERS = ["基本目標", "施策", "取組項目", "担当課", "達成度", "取組計画と達成状況"]
LONG_COMMENT = "講座を2回開催した。" + "参加者の満足度は高かった。" * 8
ITEM2_COMMENT = "・【女性センター】展示を行った\n・【市民センター】資料を設置した\n2か所に設置"

# The committee's table, row by row (None = inside a merged block or an empty cell).
EXPECTED_XLSX = [
    HEADERS,
    ["I 意識づくり", "1★ 理解の促進", "1 人権啓発", "女性センター", "A", f"・{LONG_COMMENT}"],
    [None, None, None, "総務人権推進課", "B", None],
    [None, None, None, "健康長寿課", None, None],
    [None, None, "2 情報提供", "女性センター", "B", ITEM2_COMMENT],
    [None, None, None, "市民センター", "C", None],
    [None, "2 役割分担", "①★ 学校教育", "学校教育課", "B", f"・{EVIL_COMMENT}"],
    ["II 働き方", "3 両立支援", f"'{EVIL_TITLE}", "職員課", "D", "・-研修は未実施"],
]
EXPECTED_CSV = [
    [cell or "" for cell in row] for row in EXPECTED_XLSX
]  # same layout: the sample's blanks are exactly the merged cells


def _two_level_plan(session: Session) -> Plan:
    plan = build_plan(session, items=[])
    plan.level_labels = ["基本目標", "施策"]
    root = session.query(PlanNode).filter_by(plan_id=plan.id).one()
    root.title = "意識づくり"
    understanding = PlanNode(
        plan_id=plan.id,
        parent_id=root.id,
        depth=1,
        code="1",
        title="理解の促進",
        is_priority=True,
        position=1,
    )
    roles = PlanNode(
        plan_id=plan.id, parent_id=root.id, depth=1, code="2", title="役割分担", position=2
    )
    work = PlanNode(plan_id=plan.id, depth=0, code="II", title="働き方", position=3)
    session.add_all([understanding, roles, work])
    session.flush()
    balance = PlanNode(
        plan_id=plan.id, parent_id=work.id, depth=1, code="3", title="両立支援", position=4
    )
    session.add(balance)
    session.flush()
    items: list[tuple[PlanNode, str, str, bool, list[str]]] = [
        (understanding, "1", "人権啓発", False, ["女性センター", "総務人権推進課", "健康長寿課"]),
        (understanding, "2", "情報提供", False, ["女性センター", "市民センター"]),
        (roles, "①", "学校教育", True, ["学校教育課"]),
        (balance, "", EVIL_TITLE, False, ["職員課"]),
    ]
    for number, (node, code, title, priority, departments) in enumerate(items, start=1):
        item = Item(
            plan_id=plan.id,
            node_id=node.id,
            number=number,
            code=code,
            title=title,
            is_priority=priority,
            position=number,
        )
        session.add(item)
        session.flush()
        for pos, name in enumerate(departments):
            dept = get_or_create_department(
                session, organization_id=plan.organization_id, name=name
            )
            session.add(Assignment(item_id=item.id, department_id=dept.id, position=pos))
    session.flush()
    return plan


def _answer(
    session: Session, round_id: int, plan: Plan, dept: str, item: int, grade: str, comment: str
) -> None:
    department = find_department(session, organization_id=plan.organization_id, name=dept)
    submit_answer(
        session,
        round_id=round_id,
        department_id=department.id,
        item_number=item,
        grade=grade,
        comment=comment,
        reporter="test",
        channel="test",
    )


@pytest.fixture
def table(session: Session) -> ExportTable:
    plan = _two_level_plan(session)
    info = open_test_round(session, plan)
    answers = [
        ("女性センター", 1, "B", "講座を開催した"),
        ("女性センター", 1, "A", LONG_COMMENT),  # revised: only the latest counts
        ("総務人権推進課", 1, "B", ""),  # answered without a comment: no bullet
        # 健康長寿課 never answers item 1
        ("女性センター", 2, "B", "展示を行った"),
        ("市民センター", 2, "C", "資料を設置した\n2か所に設置"),
        ("学校教育課", 3, "B", EVIL_COMMENT),
        ("職員課", 4, "D", "-研修は未実施"),
    ]
    for dept, item, grade, comment in answers:
        _answer(session, info.id, plan, dept, item, grade, comment)
    return build_table(session, round_id=info.id)


def _grid(ws: Any) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in ws.iter_rows()]


def _table_grid(ws: Any) -> list[list[Any]]:
    """The table part of the handout: from the header row down."""
    grid = _grid(ws)
    header = next(i for i, row in enumerate(grid) if row[0] == HEADERS[0])
    return grid[header:]


HANDOUT_HEADERS = [*HEADERS[:3], "担当課（R5）", "達成度（R5）", "取組計画と達成状況（R5）"]


def test_xlsx_handout_cells_merges_and_print_setup(table: ExportTable, tmp_path: Path) -> None:
    path = tmp_path / "result.xlsx"
    handout = write_xlsx(table, path, label="資料3")
    book = load_workbook(path)
    assert book.sheetnames == ["達成状況一覧"]  # the legend stands above the table
    ws = book["達成状況一覧"]
    grid = _grid(ws)
    # Label top right, title, legend (with the unanswered note: 健康長寿課 is missing).
    assert grid[0][-1] == "資料3"
    assert grid[1][0] == "令和5年度 テスト計画 達成状況一覧"
    assert grid[2][0] == (
        "【達成度の区分】A：計画以上（100%～）\u3000B：計画どおり（70～99%）\u3000"
        "C：計画以下（1～69%）\u3000D：未着手（0%）\n"
        "色付きで達成度が空欄の行は、まだ報告のない担当課です。"
    )
    body = _table_grid(ws)
    assert body == [HANDOUT_HEADERS, *EXPECTED_XLSX[1:]]
    header_row = len(grid) - len(body) + 1  # 1-based row of the header
    assert header_row == 5
    assert sorted(str(r) for r in ws.merged_cells.ranges) == sorted(
        ["A2:F2", "A3:F3", "A6:A11", "B6:B10", "C6:C8", "F6:F8", "C9:C10", "F9:F10"]
    )
    # Injection: the title is stored as text with its quote, never as a formula.
    assert ws["C12"].data_type == "s"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    # Font: BIZ UDゴシック everywhere, also as the workbook's default (column width unit).
    assert {c.font.name for row in ws.iter_rows(min_row=5) for c in row} == {"BIZ UDゴシック"}
    assert book._fonts[0].name == "BIZ UDゴシック" and book._fonts[0].sz == 10.5
    assert ws["A6"].font.sz == 9 and ws["A5"].font.bold
    # Grades centred, unanswered slot shaded (担当課 and 達成度 only).
    assert ws["E6"].alignment.horizontal == "center"
    assert ws["E6"].alignment.vertical == "center"
    assert ws["D8"].fill.fgColor.rgb.endswith("FFF2CC")
    assert ws["E8"].fill.fgColor.rgb.endswith("FFF2CC")
    assert ws["E7"].fill.fill_type is None
    # Print: A4 landscape at 100 %, header row repeated, page numbers, frozen below header.
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$5:$5"
    assert ws.freeze_panes == "A6"
    assert ws.oddFooter.center.text == "&P / &N"
    assert handout.pages == (Page(0, 6),) and not ws.row_breaks.brk
    # The comment column is the widest; heights fit the wrapped text.
    widths = [ws.column_dimensions[c].width for c in "ABCDEF"]
    assert widths[5] == max(widths)
    # Item 1's comment (229 half-width units) wraps to 4 lines in its column, so its three
    # rows together are 4 lines + padding high even though each row holds one line.
    capacity = handout.capacities[5]
    lines = wrapped_lines(f"・{LONG_COMMENT}", capacity)
    assert lines == -(-display_width(f"・{LONG_COMMENT}") // capacity)
    heights = [ws.row_dimensions[r].height for r in range(6, 9)]
    assert sum(heights) >= lines * 9 + 6


def test_csv_repeats_item_and_comment_only_on_first_row(table: ExportTable, tmp_path: Path) -> None:
    path = tmp_path / "result.csv"
    write_csv(table, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == EXPECTED_CSV


def test_rows_follow_plan_order_and_keep_revisions_out(table: ExportTable) -> None:
    assert table.headers == tuple(HEADERS)
    assert [(r.item_number, r.department, r.grade) for r in table.rows] == [
        (1, "女性センター", "A"),
        (1, "総務人権推進課", "B"),
        (1, "健康長寿課", None),
        (2, "女性センター", "B"),
        (2, "市民センター", "C"),
        (3, "学校教育課", "B"),
        (4, "職員課", "D"),
    ]
    assert table.scale == GradeScale.from_json(table.scale.to_json())


def test_table_takes_a_fixed_number_of_queries(session: Session) -> None:
    """No N+1: the statement count does not grow with the number of items."""

    def count(n_items: int, name: str) -> int:
        plan = build_plan(
            session,
            name=name,
            items=[(f"項目{i}", ["女性センター", "職員課"]) for i in range(n_items)],
        )
        info = open_test_round(session, plan)
        session.expire_all()
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(str(args[2]))

        conn = session.connection()
        event.listen(conn, "before_cursor_execute", record)
        try:
            table = build_table(session, round_id=info.id)
        finally:
            event.remove(conn, "before_cursor_execute", record)
        assert len(table.rows) == 2 * n_items
        return len(statements)

    small, large = count(2, "小"), count(20, "大")
    assert small == large <= 5


def test_item_added_after_opening_shows_as_unanswered(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    info = open_test_round(session, plan)
    late = Item(plan_id=plan.id, number=2, code="2", title="追加", position=2)
    session.add(late)
    session.flush()
    rows = build_table(session, round_id=info.id).rows
    assert [(r.item, r.department, r.grade, r.path) for r in rows] == [
        ("1 周知", "女性センター", None, ("I 目標",)),
        ("2 追加", "", None, ("",)),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+81", "'+81"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("講座 = 2回", "講座 = 2回"),
        ("", ""),
    ],
)
def test_neutralize(text: str, expected: str) -> None:
    assert neutralize(text) == expected


def test_merge_comments() -> None:
    assert merge_comments([("女性センター", " 展示 "), ("市民センター", "")]) == "・展示"
    assert merge_comments([("A課", "x"), ("B課", "y")]) == "・【A課】x\n・【B課】y"
    assert merge_comments([("A課", ""), ("B課", "  ")]) == ""


def test_display_width_counts_wide_characters_double() -> None:
    assert display_width("abc") == 3
    assert display_width("女性センター") == 12
    assert display_width("1★ 理解") == 8
    assert display_width("短い\nとても長い行") == 12


@pytest.mark.parametrize(
    ("text", "capacity", "lines"),
    [
        ("あいうえお", 10, 1),
        ("あいうえおか", 10, 2),
        ("abc def ghi", 7, 2),  # words stay whole: "abc def" / "ghi"
        ("あいうえ、", 8, 2),  # 、 never starts a line: "あいう" / "え、"
        ("あいう「えお", 8, 2),  # 「 never ends one: "あいう" / "「えお"
        ("一行目\n二行目", 20, 2),
        ("x" * 25, 10, 3),  # a word longer than a line is cut
        ("", 10, 1),
    ],
)
def test_wrapped_lines_follow_japanese_line_breaking(text: str, capacity: int, lines: int) -> None:
    assert wrapped_lines(text, capacity) == lines


def test_round_without_items_exports_the_header_only(session: Session, tmp_path: Path) -> None:
    plan = build_plan(session, items=[])
    table = build_table(session, round_id=open_test_round(session, plan).id)
    assert table.rows == ()
    write_xlsx(table, tmp_path / "empty.xlsx")
    write_csv(table, tmp_path / "empty.csv")
    ws = load_workbook(tmp_path / "empty.xlsx")["達成状況一覧"]
    assert _table_grid(ws) == [
        ["基本目標", "取組項目", "担当課（R5）", "達成度（R5）", "取組計画と達成状況（R5）"]
    ]
    with (tmp_path / "empty.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["基本目標", "取組項目", "担当課", "達成度", "取組計画と達成状況"]
        ]


def test_last_years_grades_follow_the_plan_lineage(session: Session, tmp_path: Path) -> None:
    """The first year of a new plan (第7次) shows the old plan's (第6次) grades as 前年度,
    also on a (再掲) item, whose grade is its original's; the CSV carries that column."""
    old = build_plan(
        session,
        name="第6次",
        items=[("周知", ["女性センター", "福祉課"]), ("講座", ["女性センター"])],
    )
    last = open_test_round(session, old, year=2025)
    for dept, item, grade in (
        ("女性センター", 1, "C"),
        ("福祉課", 1, "A"),
        ("女性センター", 2, "B"),
    ):
        _answer(session, last.id, old, dept, item, grade, "")
    new = build_plan(
        session,
        name="第7次",
        items=[("講座", ["女性センター"]), ("周知", ["女性センター", "福祉課"]), ("再掲", [])],
    )
    repost = session.query(Item).filter_by(plan_id=new.id, number=3).one()
    repost.repost_of_id = session.query(Item).filter_by(plan_id=new.id, number=2).one().id
    center = find_department(session, organization_id=new.organization_id, name="女性センター")
    session.add(Assignment(item_id=repost.id, department_id=center.id, position=0))
    session.flush()
    continue_plan(session, plan_id=new.id, predecessor_id=old.id)
    this = open_test_round(session, new, year=2026)
    _answer(session, this.id, new, "女性センター", 2, "B", "")

    table = build_table(session, round_id=this.id, previous=True)
    assert table.previous_year == 2025
    assert [(r.item, r.department, r.previous_grade, r.grade) for r in table.rows] == [
        ("1 講座", "女性センター", "B", None),
        ("2 周知", "女性センター", "C", "B"),
        ("2 周知", "福祉課", "A", None),
        ("3 再掲", "女性センター", "C", "B"),
    ]
    path = tmp_path / "lineage.csv"
    write_csv(table, path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["基本目標", "取組項目", "担当課", "前年度達成度", "達成度", "取組計画と達成状況"],
            ["I 目標", "1 講座", "女性センター", "B", "", ""],
            ["", "2 周知", "女性センター", "C", "B", ""],
            ["", "", "福祉課", "A", "", ""],
            ["", "3 再掲", "女性センター", "C", "B", ""],
        ]
    without = build_table(session, round_id=this.id)
    assert without.previous_year is None and all(r.previous_grade is None for r in without.rows)
