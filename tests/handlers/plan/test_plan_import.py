"""Importing plan tables: the three real samples, every bad input, XLSX/Shift_JIS/TSV, re-import."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from handlers.i18n import Message, translator
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.table_import import ColumnOverrides, ImportResult, PlanImportError, import_plan
from handlers.plan.table_import.codes import plain_number, split_code
from handlers.plan.table_import.departments import split_departments
from handlers.plan.table_import.reader import decode
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import close_round
from models import Assignment, Department, Item, Plan, PlanNode, Report, Round
from tests.factories import open_test_round


def texts(messages: list[Message]) -> list[str]:
    """Warnings as the office reads them (Japanese, the default)."""
    return [translator().render(m) for m in messages]


# --- pure parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "title", "star"),
    [
        ("I 人権の尊重", "I", "人権の尊重", False),
        (
            "I-1★ 男女の固定的性別役割分担意識の解消",
            "I-1",
            "男女の固定的性別役割分担意識の解消",
            True,
        ),
        ("Ⅲ-1★ ワーク・ライフ・バランス", "Ⅲ-1", "ワーク・ライフ・バランス", True),
        ("Ⅳ 推進体制", "Ⅳ", "推進体制", False),
        ("IV-2 男女平等推進センター", "IV-2", "男女平等推進センター", False),
        ("(1) 男女平等参画推進", "(1)", "男女平等参画推進", False),
        ("（１）　全角の括弧", "（１）", "全角の括弧", False),
        ("①情報誌パリティの発行と配布", "①", "情報誌パリティの発行と配布", False),
        ("12 人権尊重の理念", "12", "人権尊重の理念", False),
        ("１２　全角数字", "１２", "全角数字", False),
        ("4", "4", "", False),
        ("2030年までに", "", "2030年までに", False),
        ("IT活用の推進", "", "IT活用の推進", False),
        ("★重点の取組", "", "重点の取組", True),
    ],
)
def test_split_code(text: str, code: str, title: str, star: bool) -> None:
    split = split_code(text)
    assert (split.code, split.title, split.is_priority) == (code, title, star)


def test_plain_number_only_for_plain_integers() -> None:
    assert [plain_number(c) for c in ["12", "１２", "①", "(1)", "4-1", "I"]] == [
        12,
        12,
        None,
        None,
        None,
        None,
    ]


def test_split_departments_on_every_separator() -> None:
    text = "協働コミュニティ課、秘書広報課,公民館;図書館／健康課/保育課\n職員課 市民課　教育指導課"
    assert split_departments(text) == [
        "協働コミュニティ課",
        "秘書広報課",
        "公民館",
        "図書館",
        "健康課",
        "保育課",
        "職員課",
        "市民課",
        "教育指導課",
    ]
    assert split_departments("ｷｮｳｲｸ課") == ["キョウイク課"]  # NFKC-folded


def test_decode_detects_bom_utf8_and_cp932() -> None:
    text = "取組項目,担当課\n"
    assert decode(b"\xef\xbb\xbf" + text.encode(), file="x") == (text, "utf-8-sig")
    assert decode(text.encode(), file="x") == (text, "utf-8")
    assert decode(text.encode("cp932"), file="x") == (text, "cp932")


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture
def org_id(session: Session) -> int:
    return get_or_create_organization(session, name="テスト市").id


def run(session: Session, org_id: int, path: Path, **kw: Any) -> ImportResult:
    return import_plan(session, organization_id=org_id, path=path, **kw)


def write_csv(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def plan_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Plan)) or 0


def items_of(session: Session, plan_id: int) -> list[Item]:
    return list(
        session.scalars(select(Item).where(Item.plan_id == plan_id).order_by(Item.position))
    )


def departments_of(item: Item) -> list[str]:
    return [a.department.name for a in item.assignments]


# --- the three samples ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "items", "assignments", "departments"),
    [
        ("nishitokyo_plan.csv", 111, 216, 35),
        ("kiyose_plan.csv", 11, 11, 3),
        ("tsurugashima_results_excerpt.csv", 7, 18, 9),
    ],
)
def test_samples_import_with_exact_counts(
    session: Session,
    org_id: int,
    samples_dir: Path,
    sample: str,
    items: int,
    assignments: int,
    departments: int,
) -> None:
    result = run(session, org_id, samples_dir / sample)
    assert (result.items, result.assignments, result.departments) == (
        items,
        assignments,
        departments,
    )
    assert result.name == Path(sample).stem
    plan = session.get(Plan, result.plan_id)
    assert plan is not None and plan.name == Path(sample).stem
    stored = session.scalar(
        select(func.count()).select_from(Assignment).join(Item).where(Item.plan_id == plan.id)
    )
    assert stored == assignments
    dept_count = session.scalar(
        select(func.count()).select_from(Department).where(Department.organization_id == org_id)
    )
    assert dept_count == departments
    numbers = [i.number for i in items_of(session, plan.id)]
    assert len(set(numbers)) == len(numbers) == items


def test_nishitokyo_tree_codes_flags_and_continuations(
    session: Session, org_id: int, samples_dir: Path
) -> None:
    result = run(session, org_id, samples_dir / "nishitokyo_plan.csv", name="西東京市")
    plan = session.get(Plan, result.plan_id)
    assert plan is not None
    assert plan.level_labels == ["基本目標", "課題", "施策"]
    assert plan.item_label == "事業"
    assert result.ignored_columns == []
    assert result.numbering == "sequential"

    nodes = list(session.scalars(select(PlanNode).where(PlanNode.plan_id == plan.id)))
    goals = [n for n in nodes if n.depth == 0]
    issues = [n for n in nodes if n.depth == 1]
    assert [g.code for g in goals] == ["I", "II", "Ⅲ", "IV"]
    assert len(issues) == 16
    # Row 44 repeats I-4 with another spelling: still one node, first title kept.
    i4 = [n for n in issues if n.code == "I-4"]
    assert len(i4) == 1 and "セクシュアル" in i4[0].title
    assert {n.code for n in issues if n.is_priority} == {"I-1", "I-3", "II-1", "Ⅲ-1", "IV-1"}
    assert all("★" not in n.code for n in nodes)
    i1 = next(n for n in issues if n.code == "I-1")
    assert i1.display == "I-1★ 男女の固定的性別役割分担意識の解消"
    # (2) under I-4 continues across row 44: both items sit in one 施策 node.
    i4_measures = [n for n in nodes if n.parent_id == i4[0].id]
    assert [n.code for n in i4_measures] == ["(1)", "(2)"]

    items = items_of(session, plan.id)
    assert [i.number for i in items] == list(range(1, 112))
    first = items[0]
    assert (first.code, first.title, first.display) == (
        "①",
        "情報誌パリティの発行と配布",
        "①情報誌パリティの発行と配布",
    )
    assert first.description.startswith("情報誌パリティを発行し")
    # Row 27 is a continuation row of ③一人ひとりの状況に応じた相談の実施.
    counsel = next(i for i in items if i.title == "一人ひとりの状況に応じた相談の実施")
    assert departments_of(counsel) == [
        "協働コミュニティ課",
        "健康課",
        "生活福祉課",
        "子育て支援課",
        "子ども家庭支援センター",
    ]
    # Rows 50–56: one item with 27 departments.
    councils = next(i for i in items if i.title.startswith("審議会・委員会等における"))
    assert len(departments_of(councils)) == 27
    assert departments_of(councils)[-1] == "選挙管理委員会"
    node = session.get(PlanNode, councils.node_id)
    assert node is not None and node.code == "(1)" and node.depth == 2


def test_kiyose_code_column_and_bare_code_levels(
    session: Session, org_id: int, samples_dir: Path
) -> None:
    result = run(session, org_id, samples_dir / "kiyose_plan.csv")
    plan = session.get(Plan, result.plan_id)
    assert plan is not None
    assert plan.level_labels == ["目標", "課題", "施策"]
    assert plan.item_label == "事業名"
    items = items_of(session, plan.id)
    assert [i.number for i in items] == list(range(1, 12))
    assert [i.code for i in items] == ["1", "1", "2", "3", "1", "2", "3", "1", "2", "3", "4"]
    assert items[0].title == "国や都との連携"
    assert items[0].description.startswith("市長会等を通して")
    # Codes restarting per 施策 are normal, not a mistake; 関係各課 is no department.
    assert texts(result.warnings) == [
        "kiyose_plan.csv 4行目 G列（所管）: 「関係各課」は特定の担当課ではありません。"
        "表の担当課名を直すか、取り込み後に hokoku dept merge（既存の課へ統合）か dept rename で"
        "実在の課にしてください。"
    ]
    [note] = result.department_warnings
    assert note.to_json() == {
        "row": 4,
        "column": "G",
        "header": "所管",
        "kind": "collective",
        "text": "関係各課",
        "departments": ["関係各課"],
    }
    nodes = list(session.scalars(select(PlanNode).where(PlanNode.plan_id == plan.id)))
    assert sorted((n.depth, n.code, n.title) for n in nodes if n.depth < 2) == [
        (0, "4", ""),
        (1, "1", ""),
        (1, "2", ""),
    ]
    assert len([n for n in nodes if n.depth == 2]) == 4
    assert departments_of(items[2]) == ["関係各課"]


def test_tsurugashima_numbers_from_source_and_answers_ignored(
    session: Session, org_id: int, samples_dir: Path
) -> None:
    result = run(session, org_id, samples_dir / "tsurugashima_results_excerpt.csv")
    assert result.numbering == "source"
    assert result.ignored_columns == ["E:達成度", "F:取組計画と達成状況"]
    items = items_of(session, result.plan_id)
    assert [(i.number, i.code) for i in items] == [(n, str(n)) for n in range(1, 8)]
    assert items[0].description == ""
    assert departments_of(items[0])[:2] == ["女性センター", "総務人権推進課"]
    assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_import_runs_a_bounded_number_of_queries(
    session: Session, org_id: int, samples_dir: Path
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    conn = session.connection()
    event.listen(conn, "before_cursor_execute", count)
    try:
        run(session, org_id, samples_dir / "nishitokyo_plan.csv")
    finally:
        event.remove(conn, "before_cursor_execute", count)
    # No per-row look-ups: a fixed number of SELECTs; at most one INSERT per new row
    # (PostgreSQL batches them into ~10 statements; SQLite's RETURNING order is not
    # guaranteed, so SQLAlchemy inserts its rows one by one: 66 nodes + 111 + 216 + 35).
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 5, selects
    assert len(statements) <= 66 + 111 + 216 + 35 + 10, len(statements)


# --- file formats -----------------------------------------------------------------------


def test_shift_jis_copy_of_kiyose_imports_the_same(
    session: Session, org_id: int, samples_dir: Path, tmp_path: Path
) -> None:
    text = (samples_dir / "kiyose_plan.csv").read_text(encoding="utf-8")
    sjis = tmp_path / "kiyose_sjis.csv"
    sjis.write_bytes(text.encode("cp932"))
    result = run(session, org_id, sjis)
    assert result.encoding == "cp932"
    assert (result.items, result.assignments, result.departments) == (11, 11, 3)
    assert items_of(session, result.plan_id)[0].title == "国や都との連携"


def test_utf8_bom_and_tsv(session: Session, org_id: int, samples_dir: Path, tmp_path: Path) -> None:
    rows = list(
        csv.reader((samples_dir / "tsurugashima_results_excerpt.csv").open(encoding="utf-8"))
    )
    tsv = write_csv(tmp_path / "tsuru.tsv", rows, encoding="utf-8-sig", delimiter="\t")
    result = run(session, org_id, tsv)
    assert result.encoding == "utf-8-sig"
    assert (result.items, result.assignments, result.departments) == (7, 18, 9)
    # A tab-separated file saved as .txt is sniffed.
    txt = write_csv(tmp_path / "tsuru.txt", rows, delimiter="\t")
    again = run(session, org_id, txt, name="sniffed")
    assert (again.items, again.assignments) == (7, 18)


def test_xlsx_with_vertically_merged_cells_imports_like_the_csv(
    session: Session, org_id: int, samples_dir: Path, tmp_path: Path
) -> None:
    rows = list(
        csv.reader((samples_dir / "tsurugashima_results_excerpt.csv").open(encoding="utf-8"))
    )
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append([int(c) if c.isdigit() else (c or None) for c in row])
    # Merge each hierarchy/item cell down over its blank continuation rows, as Excel tables do.
    for col in (1, 2, 3, 6):
        start = 2
        for r in range(3, len(rows) + 2):
            if r == len(rows) + 1 or rows[r - 1][col - 1]:
                if r - 1 > start:
                    ws.merge_cells(start_row=start, start_column=col, end_row=r - 1, end_column=col)
                start = r
    # The header of 担当課 is merged with nothing; one department cell is merged over 2 rows
    # of the same item (rows 3–4), which must not duplicate the assignment.
    path = tmp_path / "tsurugashima.xlsx"
    wb.save(path)
    result = run(session, org_id, path)
    csv_result = run(
        session, org_id, samples_dir / "tsurugashima_results_excerpt.csv", name="from csv"
    )
    assert (result.items, result.assignments, result.departments) == (7, 18, 9)
    assert result.ignored_columns == csv_result.ignored_columns
    from_xlsx = [
        (i.number, i.display, departments_of(i)) for i in items_of(session, result.plan_id)
    ]
    from_csv = [
        (i.number, i.display, departments_of(i)) for i in items_of(session, csv_result.plan_id)
    ]
    assert from_xlsx == from_csv


def test_xlsx_department_merged_across_two_items(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["基本目標", "取組項目", "担当課"])
    ws.append(["I 意識づくり", "1 啓発", "女性センター"])
    ws.append([None, "2 講座", None])
    ws.merge_cells("C2:C3")
    ws.merge_cells("A2:A3")
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    result = run(session, org_id, path)
    items = items_of(session, result.plan_id)
    assert [(i.number, departments_of(i)) for i in items] == [
        (1, ["女性センター"]),
        (2, ["女性センター"]),
    ]


def test_title_rows_above_the_header_are_skipped(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "titled.csv",
        [
            ["第6次 男女共同参画計画 事業一覧"],
            [],
            ["施策", "取組項目", "担当課"],
            ["(1) 意識啓発", "①広報", "秘書広報課、女性センター"],
        ],
    )
    result = run(session, org_id, path)
    assert (result.items, result.assignments) == (1, 2)


# --- options ----------------------------------------------------------------------------


def test_overrides_win_over_guesses(session: Session, org_id: int, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "odd.csv",
        [
            ["分野", "なにをするか", "だれが", "補助", "メモ"],
            ["I 意識", "1 広報", "秘書広報課", "女性センター", "x"],
            ["", "2 講座", "公民館", "", ""],
        ],
    )
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, path)
    assert "--item-column" in err.value.message
    result = run(
        session,
        org_id,
        path,
        overrides=ColumnOverrides(item="なにをするか", departments=("C", "4")),
    )
    assert (result.items, result.assignments, result.departments) == (2, 3, 3)
    assert result.ignored_columns == ["E:メモ"]
    plan = session.get(Plan, result.plan_id)
    assert plan is not None and plan.level_labels == ["分野"] and plan.item_label == "なにをするか"


def test_name_option_and_plan_wide_duplicates_fall_back_to_sequential(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "dup.csv",
        [
            ["施策", "取組項目", "担当課"],
            ["1 理解", "1 啓発", "女性センター"],
            ["", "2 広報", "秘書広報課"],
            ["2 教育", "2 学校教育", "学校教育課"],
            ["", "3 研修", "職員課"],
        ],
    )
    result = run(session, org_id, path, name="第3次計画")
    assert result.name == "第3次計画"
    assert result.numbering == "sequential"
    assert (
        texts(result.warnings)
        and "2" in texts(result.warnings)[0]
        and "通し番号" in texts(result.warnings)[0]
    )
    items = items_of(session, result.plan_id)
    assert [(i.number, i.code) for i in items] == [(1, "1"), (2, "2"), (3, "2"), (4, "3")]


# --- bad input: located error, nothing written ------------------------------------------


def expect_error(session: Session, org_id: int, path: Path, **kw: Any) -> PlanImportError:
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, path, **kw)
    assert plan_count(session) == 0
    assert session.scalar(select(func.count()).select_from(Item)) == 0
    assert err.value.message.startswith(path.name)
    return err.value


def test_file_not_found(session: Session, org_id: int, tmp_path: Path) -> None:
    with pytest.raises(PlanImportError, match="見つかりません"):
        run(session, org_id, tmp_path / "missing.csv")
    assert plan_count(session) == 0


def test_empty_file(session: Session, org_id: int, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "空" in expect_error(session, org_id, empty).message
    blank = tmp_path / "blank.csv"
    blank.write_text(",,\n\n", encoding="utf-8")
    assert "空" in expect_error(session, org_id, blank).message


def test_header_only(session: Session, org_id: int, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "header.csv", [["取組項目", "担当課"]])
    assert "取組項目の行がありません" in expect_error(session, org_id, path).message


def test_undecodable_bytes(session: Session, org_id: int, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes("取組項目,担当課\n".encode() + b"\x81\xff\xfe,x\n")
    err = expect_error(session, org_id, path)
    assert err.row == 2
    assert "文字コード" in err.message and "Shift_JIS" in err.message


def test_no_item_column_lists_headers_and_option(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "noitem.csv", [["分野", "担当課"], ["I", "女性センター"]])
    err = expect_error(session, org_id, path)
    assert err.row == 1
    assert "A:分野" in err.message and "B:担当課" in err.message
    assert "--item-column" in err.message


def test_no_department_column(session: Session, org_id: int, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nodept.csv", [["施策", "取組項目", "備考"], ["(1) a", "①b", "x"]])
    err = expect_error(session, org_id, path)
    assert "担当課の列が見つかりません" in err.message and "--department-column" in err.message
    assert "C:備考" in err.message


def test_item_without_department(session: Session, org_id: int, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "nodeptcell.csv",
        [["施策", "取組項目", "担当課"], ["(1) a", "①啓発", "女性センター"], ["", "②広報", ""]],
    )
    err = expect_error(session, org_id, path)
    assert (err.row, err.column) == (3, 2)
    assert "「広報」に担当課がありません" in err.message
    assert err.message.startswith("nodeptcell.csv 3行目 C列（担当課）:")


def test_department_row_before_any_item(session: Session, org_id: int, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "orphan.csv",
        [["取組項目", "担当課"], ["", "女性センター"], ["①啓発", "秘書広報課"]],
    )
    err = expect_error(session, org_id, path)
    assert (err.row, err.column) == (2, 0)
    assert "その上に取組項目がありません" in err.message


def test_new_heading_without_item_but_with_department(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "heading.csv",
        [
            ["施策", "取組項目", "担当課"],
            ["(1) a", "①啓発", "女性センター"],
            ["(2) b", "", "秘書広報課"],
        ],
    )
    err = expect_error(session, org_id, path)
    assert (err.row, err.column) == (3, 1)


def test_old_xls_and_broken_xlsx(session: Session, org_id: int, tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    assert ".xlsx" in expect_error(session, org_id, xls).message
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    assert "開けません" in expect_error(session, org_id, bad).message


# --- re-import ----------------------------------------------------------------------------

HEADER = ["基本目標", "取組項目", "担当課"]
FIRST = [
    HEADER,
    ["I 意識づくり", "1 啓発", "女性センター、秘書広報課"],
    ["", "2 広報", "秘書広報課"],
    ["", "3 講座", "公民館"],
]


def test_reimport_without_rounds_replaces_the_tree(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    first = run(session, org_id, write_csv(tmp_path / "p.csv", FIRST))
    assert first.mode == "created"
    second = run(
        session,
        org_id,
        write_csv(tmp_path / "p.csv", [HEADER, ["II 別の目標", "1 新しい項目", "職員課"]]),
    )
    assert second.mode == "replaced" and second.plan_id == first.plan_id
    assert (second.items, second.assignments) == (1, 1)
    assert session.scalar(select(func.count()).select_from(PlanNode)) == 1
    assert plan_count(session) == 1


def answered(session: Session, round_id: int) -> dict[tuple[int, str], str | None]:
    rows = session.execute(
        select(Item.number, Department.name, Report.grade)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(Report.round_id == round_id)
    ).all()
    return {(n, d): g for n, d, g in rows}


def test_reimport_with_answered_round_updates_in_place(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    first = run(session, org_id, write_csv(tmp_path / "p.csv", FIRST))
    plan = session.get(Plan, first.plan_id)
    assert plan is not None
    old_round = open_test_round(session, plan, year=2022)
    center = find_department(session, organization_id=org_id, name="女性センター")
    pr = find_department(session, organization_id=org_id, name="秘書広報課")
    for dept, number, grade in [(center.id, 1, "A"), (pr.id, 1, "B"), (pr.id, 2, "C")]:
        submit_answer(
            session,
            round_id=old_round.id,
            department_id=dept,
            item_number=number,
            grade=grade,
            comment="済",
            reporter="U",
            channel="test",
        )
    closed = session.get(Round, old_round.id)
    assert closed is not None
    close_round(session, rnd=closed)
    current = open_test_round(session, plan, year=2023)
    submit_answer(
        session,
        round_id=current.id,
        department_id=pr.id,
        item_number=2,
        grade="B",
        comment="",
        reporter="U",
        channel="test",
    )
    corrected = [
        HEADER,
        ["I 意識づくり", "1 啓発活動", "女性センター、秘書広報課"],  # title corrected
        ["", "2 広報", "秘書広報課、市民課"],  # one more department
        # item 3 (講座, unanswered) removed
        ["", "4 相談", "健康課"],  # new item
    ]
    result = run(session, org_id, write_csv(tmp_path / "p.csv", corrected))
    assert result.mode == "updated" and result.plan_id == plan.id
    assert (result.added_items, result.removed_items) == (1, 1)
    assert (result.items, result.assignments) == (3, 5)
    assert result.added_slots == 2  # 2 new assignments × 1 open round
    items = items_of(session, plan.id)
    assert [(i.number, i.title) for i in items] == [(1, "啓発活動"), (2, "広報"), (4, "相談")]
    # Every answer is still there, on the same item and department.
    assert answered(session, old_round.id) == {
        (1, "女性センター"): "A",
        (1, "秘書広報課"): "B",
        (2, "秘書広報課"): "C",
    }
    assert answered(session, current.id) == {
        (1, "女性センター"): None,
        (1, "秘書広報課"): None,
        (2, "秘書広報課"): "B",
        (2, "市民課"): None,
        (4, "健康課"): None,
    }


def test_reimport_refuses_to_drop_an_answered_slot(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    first = run(session, org_id, write_csv(tmp_path / "p.csv", FIRST))
    plan = session.get(Plan, first.plan_id)
    assert plan is not None
    rnd = open_test_round(session, plan)
    pr = find_department(session, organization_id=org_id, name="秘書広報課")
    submit_answer(
        session,
        round_id=rnd.id,
        department_id=pr.id,
        item_number=2,
        grade="B",
        comment="",
        reporter="U",
        channel="test",
    )
    without = [HEADER, FIRST[1], FIRST[3]]
    before = answered(session, rnd.id)
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, write_csv(tmp_path / "p.csv", without))
    assert "令和5年度 2 広報（秘書広報課: B）" in err.value.message
    assert answered(session, rnd.id) == before
    assert [i.title for i in items_of(session, plan.id)] == ["啓発", "広報", "講座"]
