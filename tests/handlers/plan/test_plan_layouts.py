"""Plan tables as offices keep them (the sheet they print), as CSV and as XLSX with real
merged cells, on both databases: the imported tree, item numbers and departments are checked
exactly, and every answer given by number lands on the right item and department.

Each table says which office practice it copies. The shipped samples are rebuilt into these
layouts too; their import must then equal the sample's own import.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.export.table import build_table
from handlers.export.table_csv import csv_rows
from handlers.i18n import Message, translator
from handlers.organization.directory import get_or_create_organization
from handlers.plan.table_import import ImportResult, PlanImportError, import_plan
from models import Plan, PlanNode, Round
from tests.handlers.plan.layouts import Rows, answers_land, tree, write_table

FORMATS = ["csv", "xlsx"]


@pytest.fixture
def org_id(session: Session) -> int:
    return get_or_create_organization(session, name="テスト市").id


@pytest.fixture(params=FORMATS)
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(session: Session, org_id: int, path: Path, **kw: Any) -> ImportResult:
    return import_plan(session, organization_id=org_id, path=path, **kw)


def texts(messages: list[Message]) -> list[str]:
    return [translator().render(m) for m in messages]


def skipped(result: ImportResult) -> list[tuple[int, str, str]]:
    return [(s.row, s.kind, s.text) for s in result.skipped]


def columns(result: ImportResult) -> list[str]:
    t = translator()
    return [f"{c.letter} {c.header} {c.role} {t.render(c.reason)}" for c in result.columns]


def sample(samples_dir: Path, name: str) -> Rows:
    with (samples_dir / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


# --- pasted blocks: the header repeated ---------------------------------------------------

# Office practice: the 事業一覧 is kept as printed, page by page; the second printed page
# (its header row repeated at the top) is pasted under the first. No. runs on across pages.
PASTED: Rows = [
    ["男女共同参画推進計画 事業一覧"],
    [],
    ["目標", "課題", "No.", "事業名", "所管課"],
    ["1 意識づくり", "(1) 啓発", "1", "情報誌の発行", "女性センター"],
    ["", "", "2", "講座の開催", "女性センター"],
    ["", "(2) 教育", "3", "男女平等教育の推進", "学校教育課"],
    ["目標", "課題", "No.", "事業名", "所管課"],
    ["", "", "4", "教職員研修", "教育指導課"],
    ["2 働く場", "(1) 就労支援", "5", "再就職支援", "産業振興課"],
    ["", "", "6", "女性の起業支援", "産業振興課、女性センター"],
    ["", "(2) 相談", "7", "労働相談", "関係課"],
    ["", "", "8", "ハラスメント相談", "関係課"],
]
PASTED_TREE = [
    "目標 › 課題 › 事業名",
    "目標 1 意識づくり",
    "  課題 (1) 啓発",
    "    1 1 情報誌の発行 [女性センター]",
    "    2 2 講座の開催 [女性センター]",
    "  課題 (2) 教育",
    "    3 3 男女平等教育の推進 [学校教育課]",
    "    4 4 教職員研修 [教育指導課]",
    "目標 2 働く場",
    "  課題 (1) 就労支援",
    "    5 5 再就職支援 [産業振興課]",
    "    6 6 女性の起業支援 [産業振興課、女性センター]",
    "  課題 (2) 相談",
    "    7 7 労働相談 [関係課]",
    "    8 8 ハラスメント相談 [関係課]",
]


def test_pasted_blocks_skip_the_repeated_header(
    session: Session, org_id: int, tmp_path: Path, fmt: str
) -> None:
    path = write_table(tmp_path / f"事業一覧.{fmt}", PASTED, merge_down=[0, 1], data_column=4)
    result = run(session, org_id, path)
    assert tree(session, result.plan_id) == PASTED_TREE
    assert result.numbering == "source"
    assert skipped(result) == [
        (1, "title", "男女共同参画推進計画 事業一覧"),
        (7, "header", "目標 | 課題 | No. | 事業名 | 所管課"),
    ]
    # Never a department 所管課 nor an item 事業名; 関係課 is said once with both rows.
    assert texts(result.warnings) == [
        f"事業一覧.{fmt} 11、12行目 E列（所管課）: 「関係課」は特定の担当課ではありません。"
        "表の担当課名を直すか、取り込み後に hokoku dept merge（既存の課へ統合）か dept rename で"
        "実在の課にしてください。"
    ]
    assert answers_land(session, result.plan_id) == 9


def test_nishitokyo_pasted_in_two_blocks_imports_like_the_sample(
    session: Session, org_id: int, samples_dir: Path, tmp_path: Path, fmt: str
) -> None:
    """Office practice: the plan's 体系表 printed per 基本目標; the page of 基本目標 II on
    pasted under the first with its header again."""
    rows = sample(samples_dir, "nishitokyo_plan.csv")
    pasted = [*rows[:49], rows[0], *rows[49:]]
    path = write_table(tmp_path / f"西東京.{fmt}", pasted, merge_down=[0, 1, 2, 3], data_column=5)
    result = run(session, org_id, path)
    original = run(session, org_id, samples_dir / "nishitokyo_plan.csv")
    assert tree(session, result.plan_id) == tree(session, original.plan_id)
    assert (result.items, result.departments, result.assignments) == (111, 35, 216)
    assert skipped(result) == [(50, "header", " | ".join(h for h in rows[0]))]


# --- headings above the header and inside the table -----------------------------------------

# Office practice: a chapter of the printed plan copied into Excel: 基本目標 and 重点課題 on
# lines of their own above the table, and the next 重点課題 as a line of its own with the
# header repeated, as it stands in the printed plan.
HEADINGS_ABOVE: Rows = [
    ["基本目標Ⅰ 男女共同参画の意識づくり"],
    ["重点課題1 意識の啓発"],
    ["施策", "取組項目", "担当課"],
    ["(1) 広報・啓発", "①男女共同参画情報誌の発行", "男女共同参画課"],
    ["", "②講座の開催", "男女共同参画課、公民館"],
    ["(2) 学習機会", "①出前講座", "生涯学習課"],
    ["重点課題2 教育"],
    ["施策", "取組項目", "担当課"],
    ["(1) 学校教育", "①男女平等教育の推進", "学校教育課"],
]
HEADINGS_ABOVE_TREE = [
    "基本目標 › 重点課題 › 施策 › 取組項目",
    "基本目標 Ⅰ 男女共同参画の意識づくり",
    "  重点課題 1 意識の啓発",
    "    施策 (1) 広報・啓発",
    "      1 ①男女共同参画情報誌の発行 [男女共同参画課]",
    "      2 ②講座の開催 [男女共同参画課、公民館]",
    "    施策 (2) 学習機会",
    "      3 ①出前講座 [生涯学習課]",
    "  重点課題 2 教育",
    "    施策 (1) 学校教育",
    "      4 ①男女平等教育の推進 [学校教育課]",
]


def test_headings_above_the_header_become_the_top_levels(
    session: Session, org_id: int, tmp_path: Path, fmt: str
) -> None:
    path = write_table(tmp_path / f"計画.{fmt}", HEADINGS_ABOVE, merge_down=[0], data_column=2)
    result = run(session, org_id, path)
    assert tree(session, result.plan_id) == HEADINGS_ABOVE_TREE
    assert [(h.row, h.label, h.display) for h in result.headings] == [
        (1, "基本目標", "Ⅰ 男女共同参画の意識づくり"),
        (2, "重点課題", "1 意識の啓発"),
        (7, "重点課題", "2 教育"),
    ]
    assert skipped(result) == [(8, "header", "施策 | 取組項目 | 担当課")]
    assert result.warnings == []
    assert answers_land(session, result.plan_id) == 5


# Office practice: the 事業一覧 grouped by 課題, each 課題 announced by a full-width line of
# its own (「課題2 …」 in the first column, merged across in Excel), then its 事業 by No.
HEADINGS_INSIDE: Rows = [
    ["No.", "事業名", "担当課"],
    ["課題1 固定的な性別役割分担意識の解消"],
    ["1", "啓発冊子の配布", "人権推進課"],
    ["2", "講演会の開催", "人権推進課、公民館"],
    ["課題2 働く場における男女共同参画"],
    ["3", "再就職セミナー", "商工観光課"],
    ["4", "事業所への啓発", "商工観光課"],
]
HEADINGS_INSIDE_TREE = [
    "課題 › 事業名",
    "課題 1 固定的な性別役割分担意識の解消",
    "  1 1 啓発冊子の配布 [人権推進課]",
    "  2 2 講演会の開催 [人権推進課、公民館]",
    "課題 2 働く場における男女共同参画",
    "  3 3 再就職セミナー [商工観光課]",
    "  4 4 事業所への啓発 [商工観光課]",
]


def test_heading_rows_inside_the_table_become_nodes(
    session: Session, org_id: int, tmp_path: Path, fmt: str
) -> None:
    path = write_table(tmp_path / f"一覧.{fmt}", HEADINGS_INSIDE, merges=["A2:C2", "A5:C5"])
    result = run(session, org_id, path)
    assert tree(session, result.plan_id) == HEADINGS_INSIDE_TREE
    assert [(h.row, h.label) for h in result.headings] == [(2, "課題"), (5, "課題")]
    assert result.numbering == "source"
    assert answers_land(session, result.plan_id) == 5


def test_tsurugashima_with_its_levels_as_heading_rows_imports_like_the_sample(
    session: Session, org_id: int, samples_dir: Path, tmp_path: Path, fmt: str
) -> None:
    """Office practice: the 達成状況一覧 printed with 基本目標 above the table and each 施策
    as a line of its own inside it, instead of columns of their own."""
    rows = sample(samples_dir, "tsurugashima_results_excerpt.csv")
    table: Rows = [["基本目標 I 男女共同参画の意識づくり"], rows[0][2:]]
    for row in rows[1:]:
        if row[1]:
            table.append([f"施策{row[1]}"])
        table.append(row[2:])
    path = write_table(tmp_path / f"鶴ヶ島.{fmt}", table, merge_down=[0], data_column=1)
    result = run(session, org_id, path)
    original = run(session, org_id, samples_dir / "tsurugashima_results_excerpt.csv")
    assert tree(session, result.plan_id) == tree(session, original.plan_id)
    assert [(h.row, h.label, h.display) for h in result.headings] == [
        (1, "基本目標", "I 男女共同参画の意識づくり"),
        (3, "施策", "1 男女共同参画に関する理解の促進"),
        (16, "施策", "2 性別による固定的な役割分担意識の解消"),
    ]
    assert result.numbering == "source"
    assert answers_land(session, result.plan_id) == 18


# --- two-line header with merged cells, code column by what it holds -----------------------

# Office practice: the 実施計画's 事業一覧 with a two-line header: 基本目標, 施策 and 担当課
# merged over both lines, 事業 over 事業コード and 事業名; 事業コード is five digits
# (基本目標・施策・事業 run together), and it is what the office calls each 事業 by.
TWO_LINE: Rows = [
    ["第3次男女共同参画推進計画 実施計画"],
    [],
    ["基本目標", "施策", "事業", "", "担当課", "備考"],
    ["", "", "事業コード", "事業名", "", ""],
    ["Ⅰ 人権の尊重", "1 意識啓発", "11101", "啓発パネル展", "人権政策課", ""],
    ["", "", "11102", "人権講演会", "人権政策課、公民館", "隔年"],
    ["", "2 教育", "11201", "男女平等教育", "指導室", ""],
    ["Ⅱ 働く場", "1 就労", "12101", "就職支援セミナー", "産業振興課", ""],
]
TWO_LINE_MERGES = ["A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4"]
TWO_LINE_TREE = [
    "基本目標 › 施策 › 事業名",
    "基本目標 Ⅰ 人権の尊重",
    "  施策 1 意識啓発",
    "    11101 11101 啓発パネル展 [人権政策課]",
    "    11102 11102 人権講演会 [人権政策課、公民館]",
    "  施策 2 教育",
    "    11201 11201 男女平等教育 [指導室]",
    "基本目標 Ⅱ 働く場",
    "  施策 1 就労",
    "    12101 12101 就職支援セミナー [産業振興課]",
]


def test_two_line_header_with_merged_cells_reads_as_one(
    session: Session, org_id: int, tmp_path: Path, fmt: str
) -> None:
    path = write_table(
        tmp_path / f"実施計画.{fmt}",
        TWO_LINE,
        merges=TWO_LINE_MERGES,
        merge_down=[0, 1],
        data_column=4,
    )
    result = run(session, org_id, path)
    assert tree(session, result.plan_id) == TWO_LINE_TREE
    assert result.header_rows == (3, 4)
    assert columns(result) == [
        "A 基本目標 level 取組項目の列より左",
        "B 施策 level 取組項目の列より左",
        "C 事業コード code 見出し「事業コード」",
        "D 事業名 item 見出し「事業名」",
        "E 担当課 department 見出し「担当課」",
        "F 備考 ignored 取組項目・担当課・内容のどの見出しでもない",
    ]
    assert result.numbering == "source"
    assert skipped(result) == [(1, "title", "第3次男女共同参画推進計画 実施計画")]
    assert answers_land(session, result.plan_id) == 5


def test_nishitokyo_with_a_two_line_header_imports_like_the_sample(
    session: Session, org_id: int, samples_dir: Path, tmp_path: Path, fmt: str
) -> None:
    """Office practice: the 体系表 with a group line over the header (施策の体系 over the
    levels, 事業 over 事業 and 内容, one 担当課 merged over its four columns)."""
    rows = sample(samples_dir, "nishitokyo_plan.csv")
    header: Rows = [
        ["施策の体系", "", "", "事業", "", "担当課", "", "", ""],
        ["基本目標", "課題", "施策", "事業", "内容", "", "", "", ""],
    ]
    path = write_table(
        tmp_path / f"体系表.{fmt}",
        [*header, *rows[1:]],
        merges=["A1:C1", "D1:E1", "F1:I2"],
    )
    result = run(session, org_id, path)
    original = run(session, org_id, samples_dir / "nishitokyo_plan.csv")
    assert tree(session, result.plan_id) == tree(session, original.plan_id)
    assert result.header_rows == (1, 2)
    assert [(c.letter, c.role) for c in result.columns][5:] == [
        ("F", "department"),
        ("G", "department"),
        ("H", "department"),
        ("I", "department"),
    ]


# Office practice: an older 事業一覧 whose code column has no header word hokoku knows
# (細目) but holds the 1-2-3 codes the plan prints before each 事業.
CODED: Rows = [
    ["基本目標", "施策", "細目", "事業名", "担当課"],
    ["1 意識", "1-1 啓発", "1-1-1", "情報誌の発行", "女性センター"],
    ["", "", "1-1-2", "講座の開催", "女性センター"],
    ["", "1-2 教育", "1-2-1", "男女平等教育", "学校教育課"],
]


def test_code_column_found_by_what_it_holds(
    session: Session, org_id: int, tmp_path: Path, fmt: str
) -> None:
    path = write_table(tmp_path / f"細目.{fmt}", CODED, merge_down=[0, 1], data_column=4)
    result = run(session, org_id, path)
    assert tree(session, result.plan_id) == [
        "基本目標 › 施策 › 事業名",
        "基本目標 1 意識",
        "  施策 1-1 啓発",
        "    1 1-1-1 情報誌の発行 [女性センター]",
        "    2 1-1-2 講座の開催 [女性センター]",
        "  施策 1-2 教育",
        "    3 1-2-1 男女平等教育 [学校教育課]",
    ]
    assert columns(result)[2] == "C 細目 code どの取組項目にも異なる番号（1-1-1、1-1-2、1-2-1 …）"
    assert answers_land(session, result.plan_id) == 3


# --- notes under the table ------------------------------------------------------------------


# Office practice: the printed page's legend and footnotes kept under the table
# (※△検討 ○実施, 注, 出典), in the first column.
def footnoted(rows: Rows) -> Rows:
    return [
        *rows,
        [],
        ["※△検討 ○実施 ◎充実"],
        ["注1 担当課は令和7年4月1日現在"],
        ["出典：男女共同参画推進計画（第3次）"],
    ]


def test_footnotes_are_skipped_and_listed(
    session: Session, org_id: int, tmp_path: Path, fmt: str
) -> None:
    path = write_table(tmp_path / f"注記.{fmt}", footnoted(PASTED[2:6]))
    result = run(session, org_id, path)  # pytest turns an SAWarning into an error
    assert tree(session, result.plan_id) == PASTED_TREE[:7]
    assert skipped(result) == [
        (6, "note", "※△検討 ○実施 ◎充実"),
        (7, "note", "注1 担当課は令和7年4月1日現在"),
        (8, "note", "出典：男女共同参画推進計画（第3次）"),
    ]
    assert answers_land(session, result.plan_id) == 3


def test_kiyose_with_footnotes_imports_like_the_sample(
    session: Session, org_id: int, samples_dir: Path, tmp_path: Path, fmt: str
) -> None:
    rows = sample(samples_dir, "kiyose_plan.csv")
    path = write_table(tmp_path / f"清瀬.{fmt}", footnoted(rows))
    result = run(session, org_id, path)
    original = run(session, org_id, samples_dir / "kiyose_plan.csv")
    assert tree(session, result.plan_id) == tree(session, original.plan_id)
    assert [s.kind for s in result.skipped] == ["note", "note", "note"]


def test_a_heading_without_items_is_stored_and_said(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    """A node no item sits under used to warn `PlanNode not in session` and be lost."""
    rows = [*HEADINGS_ABOVE, ["重点課題3 推進体制"]]
    result = run(session, org_id, write_table(tmp_path / "計画.csv", rows))
    nodes = session.scalars(
        select(PlanNode.title).where(PlanNode.plan_id == result.plan_id).order_by(PlanNode.position)
    ).all()
    assert nodes[-1] == "推進体制"
    assert texts(result.warnings) == [
        "計画.csv 10行目: 見出し「3 推進体制」の下に取組項目がありません（見出しだけが取り込まれます）。"
    ]


# --- what cannot be placed is refused, located -------------------------------------------


def test_a_header_with_other_columns_is_refused(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    rows = [*PASTED[2:6], ["目標", "No.", "課題", "事業名", "所管課"], PASTED[7]]
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, write_table(tmp_path / "p.csv", rows))
    assert err.value.message == (
        "p.csv 5行目: この行は見出しのようですが、1行目の見出しと列が違います"
        "（目標 | No. | 課題 | 事業名 | 所管課）。"
        "貼り付けた表の列をそろえるか、表ごとに別のファイルにして取り込んでください。"
    )
    assert session.scalar(select(Plan.id)) is None


def test_a_header_word_is_never_a_department(session: Session, org_id: int, tmp_path: Path) -> None:
    rows = [*PASTED[2:6], ["", "", "4", "教職員研修", "担当課"]]
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, write_table(tmp_path / "p.csv", rows))
    assert err.value.message.startswith(
        "p.csv 5行目 E列（所管課）: 「担当課」は列の見出しの言葉で、担当課ではありません。"
    )


def test_a_lone_number_is_refused_with_what_to_do(
    session: Session, org_id: int, tmp_path: Path
) -> None:
    rows = [*HEADINGS_INSIDE[:4], ["5"], *HEADINGS_INSIDE[4:]]
    with pytest.raises(PlanImportError) as err:
        run(session, org_id, write_table(tmp_path / "p.csv", rows))
    assert err.value.message.startswith(
        "p.csv 5行目 B列（事業名）: 番号だけがあり取組項目の名前が空です。見出しの行なら"
    )


# --- codes and titles as written ------------------------------------------------------------

# Office practice: 施策 numbered with circled numbers written against the title
# (①男女…), 事業 written both ways (① 講座 / (1)講座) by different hands.
SPACING: Rows = [
    ["施策", "取組項目", "担当課"],
    ["①男女共同参画の意識啓発", "① 講座の開催", "女性センター"],
    ["", "(1)情報誌の発行", "女性センター"],
    ["② 学習の推進", "㉑出前講座", "公民館"],
]


def test_circled_numbers_keep_the_spacing_as_written(
    session: Session, org_id: int, tmp_path: Path, fmt: str
) -> None:
    result = run(session, org_id, write_table(tmp_path / f"施策.{fmt}", SPACING))
    assert tree(session, result.plan_id) == [
        "施策 › 取組項目",
        "施策 ①男女共同参画の意識啓発",
        "  1 ① 講座の開催 [女性センター]",
        "  2 (1)情報誌の発行 [女性センター]",
        "施策 ② 学習の推進",
        "  3 ㉑出前講座 [公民館]",
    ]
    info = answers_land(session, result.plan_id)
    assert info == 3
    rnd = session.scalar(select(Round.id).where(Round.plan_id == result.plan_id))
    assert rnd is not None
    exported = csv_rows(build_table(session, round_id=rnd))
    assert [row[:2] for row in exported] == [
        ["施策", "取組項目"],
        ["①男女共同参画の意識啓発", "① 講座の開催"],
        ["", "(1)情報誌の発行"],
        ["② 学習の推進", "㉑出前講座"],
    ]
