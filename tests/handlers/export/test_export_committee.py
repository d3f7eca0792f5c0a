"""The committee's document: the table with the committee's grade beside the items, and the
sheets まとめ (with native charts over its tables), 指標 and 委員会評価, read back from the
written XLSX (cells with openpyxl, charts from their XML)."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from handlers.committee.evaluations import set_evaluation
from handlers.committee.indicators import import_indicators, report_indicator_value
from handlers.errors import InvalidInput
from handlers.export.document import (
    CommitteeSheets,
    build_committee_sheets,
    export_evaluations,
)
from handlers.export.table import ExportTable, build_table
from handlers.export.table_csv import write_csv
from handlers.export.table_xlsx import write_xlsx
from handlers.organization.directory import find_department
from handlers.plan.settings import edit_plan
from handlers.reporting.reports import submit_answer
from models import Plan
from tests.factories import build_goals_plan, open_test_round
from tests.languages import japanese_outside

CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
INDICATORS = """番号,指標,単位,基準年度,基準値,目標年度,目標値,所管
1,講座の参加者数,人,2020,100,2030,200,女性センター
2,審議会の女性委員の割合,%,令和2年度,30,令和12年度,40,
3,相談窓口の認知度,%,2020,50,2030,70,
"""


CHANNELS = {"女性センター": "excel", "秘書広報課": "slack", "職員課": "office"}


def _answer(
    session: Session,
    plan: Plan,
    round_id: int,
    answers: list[tuple[str, int, str]],
    channels: dict[str, str] | None = None,
) -> None:
    for dept, number, grade in answers:
        submit_answer(
            session,
            round_id=round_id,
            department_id=find_department(
                session, organization_id=plan.organization_id, name=dept
            ).id,
            item_number=number,
            grade=grade,
            comment=f"{dept}の取組",
            reporter="t",
            channel=(channels or {}).get(dept, "test"),
        )


@pytest.fixture
def committee_round(session: Session, tmp_path: Path) -> tuple[Plan, int]:
    """Two goals, last year and this year answered, indicators with values, one 施策 evaluated."""
    plan = build_goals_plan(
        session,
        goals=[
            (
                "意識づくり",
                "理解の促進",
                [("周知", ["女性センター", "秘書広報課"]), ("講座", ["女性センター"])],
            ),
            ("働き方", "両立支援", [("研修", ["職員課"]), ("相談", ["福祉課"])]),
        ],
    )
    last = open_test_round(session, plan, year=2022)
    _answer(
        session,
        plan,
        last.id,
        [
            ("女性センター", 1, "C"),
            ("秘書広報課", 1, "B"),
            ("女性センター", 2, "A"),
            ("職員課", 3, "B"),
            ("福祉課", 4, "D"),
        ],
    )
    this = open_test_round(session, plan, year=2023)
    # 女性センター 1: C → B rose; 秘書広報課 1: B → B same; 女性センター 2: A → B fell;
    # 職員課 3: B → A rose; 福祉課 4 not answered this year.
    _answer(
        session,
        plan,
        this.id,
        [
            ("女性センター", 1, "B"),
            ("秘書広報課", 1, "B"),
            ("女性センター", 2, "B"),
            ("職員課", 3, "A"),
        ],
        CHANNELS,
    )
    table = tmp_path / "指標.csv"
    table.write_text(INDICATORS, encoding="utf-8")
    import_indicators(session, plan_id=plan.id, path=table)
    center = find_department(session, organization_id=plan.organization_id, name="女性センター")
    for number, value, dept in (("1", "150", center.id), ("2", "31", None)):
        report_indicator_value(
            session,
            round_id=this.id,
            department_id=dept,
            number=number,
            value=value,
            reporter="t",
            channel="office",
        )
    edit_plan(session, plan_id=plan.id, evaluation_level="施策")
    set_evaluation(
        session,
        round_id=this.id,
        node="1",
        grade="A",
        comment="周知が進んだ",
        proposal="若年層へ広げること",
        evaluator="委員会",
    )
    return plan, this.id


def _document(
    session: Session, round_id: int, path: Path, *, language: str = "ja"
) -> tuple[ExportTable, CommitteeSheets]:
    evaluations = export_evaluations(session, round_id=round_id)
    table = build_table(
        session, round_id=round_id, previous=True, evaluations=evaluations, language=language
    )
    sheets = build_committee_sheets(
        session,
        round_id=round_id,
        today=date(2024, 6, 1),
        language=language,
        evaluations=evaluations,
    )
    write_xlsx(table, path, label="資料3", committee=sheets)
    return table, sheets


def _rows(ws: Any) -> list[list[Any]]:
    """The sheet's non-empty rows, trailing empty cells dropped."""
    rows = []
    for row in ws.iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            rows.append(cells)
    return rows


def _resolve(book: Any, reference: str) -> list[Any]:
    """The cell values a chart formula (`まとめ!$B$9:$B$10`) points at."""
    sheet, _, cells = reference.partition("!")
    ws = book[sheet.strip("'")]
    found = ws[cells.replace("$", "")]
    if not isinstance(found, tuple):
        return [found.value]
    return [c.value for row in found for c in (row if isinstance(row, tuple) else (row,))]


def _charts(path: Path, book: Any) -> list[dict[str, Any]]:
    """Every chart of the workbook: title, direction, grouping, and each series' name,
    categories and values resolved against the cells it reads."""
    charts = []
    with zipfile.ZipFile(path) as archive:
        names = sorted(
            (n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)),
            key=lambda n: int(re.findall(r"\d+", n)[0]),
        )
        for name in names:
            root = ElementTree.fromstring(archive.read(name))
            heading = root.find(f"{CHART}chart/{CHART}title")
            assert heading is not None
            title = "".join(t.text or "" for t in heading.iter(f"{DRAWING}t"))
            bar = root.find(f".//{CHART}barChart")
            assert bar is not None
            series = []
            for ser in bar.iter(f"{CHART}ser"):
                refs = [ser.find(f"{CHART}{part}//{CHART}f") for part in ("tx", "cat", "val")]
                series.append(
                    tuple(_resolve(book, ref.text or "") for ref in refs if ref is not None)
                )
            charts.append(
                {
                    "title": title,
                    "direction": bar.find(f"{CHART}barDir").get("val"),  # type: ignore[union-attr]
                    "grouping": bar.find(f"{CHART}grouping").get("val"),  # type: ignore[union-attr]
                    "series": series,
                }
            )
    return charts


def test_the_summary_sheet_tables_sentences_and_charts(
    session: Session, committee_round: tuple[Plan, int], tmp_path: Path
) -> None:
    _plan, round_id = committee_round
    path = tmp_path / "委員会資料.xlsx"
    _table, sheets = _document(session, round_id, path)
    book = load_workbook(path)
    assert book.sheetnames == ["達成状況一覧", "まとめ", "指標", "委員会評価"]
    rows = _rows(book["まとめ"])
    assert rows[0] == ["令和5年度 二層計画 まとめ"]
    assert rows[1:5] == [
        ["達成度のまとめ"],
        ["全5件のうちA・B評価は4件（80%）、前年度から2件上昇、1件低下（未回答 1件）"],
        ["I 意識づくり: 全3件のうちA・B評価は3件（100%）、前年度から1件上昇、1件低下"],
        ["II 働き方: 全2件のうちA・B評価は1件（50%）、前年度から1件上昇（未回答 1件）"],
    ]
    assert [line[0] for line in sheets.summary.lines("ja")] == [r[0][0] for r in rows[2:5]]
    assert rows[5:9] == [
        ["基本目標別の達成度"],
        ["基本目標", "A", "B", "C", "D", "未回答", "計", "A・B評価"],
        ["I 意識づくり", 0, 3, 0, 0, 0, 3, "3（100%）"],
        ["II 働き方", 1, 0, 0, 0, 1, 2, "1（50%）"],
    ]
    assert rows[9] == ["合計", 1, 3, 0, 0, 1, 5, "4（80%）"]
    assert rows[10:17] == [
        ["担当課別の回答状況"],
        ["担当課", "回答", "未回答", "計", "回答率", "回答方法"],
        ["女性センター", 2, 0, 2, "100%", "Excel 2"],
        ["秘書広報課", 1, 0, 1, "100%", "Slack 1"],
        ["職員課", 1, 0, 1, "100%", "代理入力 1"],
        ["福祉課", 0, 1, 1, "0%"],
        ["合計", 4, 1, 5, "80%", "Excel 2、代理入力 1、Slack 1"],
    ]
    assert rows[17:] == [
        ["前年度との比較（令和4年度→令和5年度、同じ報告枠）"],
        ["達成度", "令和4年度", "令和5年度"],
        ["A", 1, 1],
        ["B", 2, 3],
        ["C", 1, 0],
        ["D", 1, 0],
        ["未回答", 0, 1],
        ["基本目標別の前年度からの変化（報告枠数）"],
        ["基本目標", "上がった", "下がった", "同じ", "比較できない"],
        ["I 意識づくり", 1, 1, 1, 0],
        ["II 働き方", 1, 0, 0, 1],
        ["合計", 2, 1, 1, 1],
    ]
    # Native charts read the printed tables: grades per goal, completion, last year.
    goals = ["I 意識づくり", "II 働き方"]
    departments = ["女性センター", "秘書広報課", "職員課", "福祉課"]
    assert _charts(path, book) == [
        {
            "title": "基本目標別の達成度（件数）",
            "direction": "bar",
            "grouping": "stacked",
            "series": [
                (["A"], goals, [0, 1]),
                (["B"], goals, [3, 0]),
                (["C"], goals, [0, 0]),
                (["D"], goals, [0, 0]),
                (["未回答"], goals, [0, 1]),
            ],
        },
        {
            "title": "担当課別の回答状況（報告枠数）",
            "direction": "bar",
            "grouping": "stacked",
            "series": [
                (["回答"], departments, [2, 1, 1, 0]),
                (["未回答"], departments, [0, 0, 0, 1]),
            ],
        },
        {
            "title": "達成度の前年度比較（件数）",
            "direction": "col",
            "grouping": "clustered",
            "series": [
                (["令和4年度"], ["A", "B", "C", "D"], [1, 2, 1, 1]),
                (["令和5年度"], ["A", "B", "C", "D"], [1, 3, 0, 0]),
            ],
        },
    ]
    ws = book["まとめ"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.oddFooter.center.text == "&P / &N"


# The committee round's own words: Japanese because the office wrote them so.
DATA = (
    "二層計画", "基本目標", "施策", "取組項目", "意識づくり", "働き方", "理解の促進", "両立支援",
    "周知", "講座", "研修", "相談", "女性センター", "秘書広報課", "職員課", "福祉課",
    "講座の参加者数", "審議会の女性委員の割合", "相談窓口の認知度", "人", "周知が進んだ",
    "若年層へ広げること", "資料3", "計画以上", "計画どおり", "計画以下", "未着手",
    "100%～", "70～99%", "1～69%",
)  # fmt: skip


def test_the_whole_document_in_english(
    session: Session, committee_round: tuple[Plan, int], tmp_path: Path
) -> None:
    _plan, round_id = committee_round
    path = tmp_path / "en.xlsx"
    table, _sheets = _document(session, round_id, path, language="en")
    book = load_workbook(path)
    assert book.sheetnames == ["Progress report", "Summary", "Indicators", "Committee evaluation"]
    main = _rows(book["Progress report"])
    assert main[1] == ["FY2023 二層計画 Progress report"]
    assert main[2][0].startswith("Grades: A: 計画以上 (100%～); B: 計画どおり (70～99%)")
    assert "Committee evaluation: the promotion committee's grade per 施策" in main[2][0]
    header = next(i for i, row in enumerate(main) if row[0] == "基本目標")
    assert main[header] == [
        "基本目標",
        "施策",
        "取組項目",
        "Department (FY2023)",
        "Grade (FY2022)",
        "Grade (FY2023)",
        "Committee evaluation",
        "Plans and progress (FY2023)",
    ]
    summary = _rows(book["Summary"])
    assert summary[:3] == [
        ["FY2023 二層計画: summary"],
        ["Grades in brief"],
        [
            "4 of 5 entries (80%) graded A or B; "
            "2 improved, 1 declined on last year (1 not answered yet)"
        ],
    ]
    assert ["基本目標", "A", "B", "C", "D", "Unanswered", "Total", "Graded A, B"] in summary
    assert ["Grade", "FY2022", "FY2023"] in summary
    assert [c["title"] for c in _charts(path, book)] == [
        "Grades per 基本目標 (entries)",
        "Answers per department (slots)",
        "Grades last year and this year (entries)",
    ]
    indicators = _rows(book["Indicators"])
    assert indicators[0] == ["FY2023 二層計画: indicators"]
    assert indicators[1][0].startswith("Progress = (actual − baseline)")
    assert indicators[2][7] == "Actual (FY2023)"
    assert indicators[3][3] == "FY2020" and indicators[4][3] == "FY2020"
    evaluation = _rows(book["Committee evaluation"])
    assert evaluation[:2] == [
        ["FY2023 二層計画: committee evaluation per 施策"],
        ["施策", "Grade", "Comment", "Proposal", "Departments' grades"],
    ]
    assert evaluation[-1][-1] == "A 1 (1 unanswered)"
    # Nothing else is Japanese: every cell of every sheet, and the charts' titles.
    cells = [cell for ws in book for row in _rows(ws) for cell in row if cell is not None]
    merged = {row.comment for row in table.rows}  # the departments' comments, as merged
    titles = [c["title"] for c in _charts(path, book)]
    assert japanese_outside([*cells, *titles, *book.sheetnames], [*DATA, *merged]) == []
    with pytest.raises(InvalidInput, match="まとめ文の言語"):
        build_committee_sheets(session, round_id=round_id, today=date(2024, 6, 1), language="fr")


def test_indicator_sheet_shows_progress_against_baseline_and_target(
    session: Session, committee_round: tuple[Plan, int], tmp_path: Path
) -> None:
    _plan, round_id = committee_round
    path = tmp_path / "指標.xlsx"
    _document(session, round_id, path)
    ws = load_workbook(path)["指標"]
    rows = _rows(ws)
    assert rows[0] == ["令和5年度 二層計画 指標の達成状況"]
    assert rows[1][0].startswith("進捗率＝（実績－基準値）÷（目標値－基準値）")
    # 1: 100 → 200 from 2020 to 2030; 150 in 2023 is 50 % of the way, ahead of 130 (順調).
    # 2: 30 → 40 %; 31 is 10 %, behind the 33 expected (遅れ). 3: no value yet.
    assert rows[2:] == [
        [
            "番号",
            "指標",
            "単位",
            "基準年度",
            "基準値",
            "目標年度",
            "目標値",
            "実績（R5）",
            "進捗率",
            "目安",
            "状況",
            "所管",
        ],
        [
            "1",
            "講座の参加者数",
            "人",
            "令和2年度",
            100,
            "令和12年度",
            200,
            150,
            50,
            130,
            "順調",
            "女性センター",
        ],
        [
            "2",
            "審議会の女性委員の割合",
            "%",
            "令和2年度",
            30,
            "令和12年度",
            40,
            31,
            10,
            33,
            "遅れ",
            "事務局",
        ],
        [
            "3",
            "相談窓口の認知度",
            "%",
            "令和2年度",
            50,
            "令和12年度",
            70,
            "—",
            "—",
            56,
            "—",
            "事務局",
        ],
    ]
    assert ws["I5"].number_format == '0"%"' and ws["H5"].number_format == "0"
    assert ws.print_title_rows == "$4:$4"  # the header row on every page
    assert ws["K6"].fill.fgColor.rgb.endswith("FCE4D6")  # 遅れ is shaded


def test_evaluations_beside_the_items_and_on_their_own_sheet(
    session: Session, committee_round: tuple[Plan, int], tmp_path: Path
) -> None:
    _plan, round_id = committee_round
    path = tmp_path / "評価.xlsx"
    table, _sheets = _document(session, round_id, path)
    book = load_workbook(path)
    main = _rows(book["達成状況一覧"])
    header = next(i for i, row in enumerate(main) if row[0] == "基本目標")
    assert main[header] == [
        "基本目標",
        "施策",
        "取組項目",
        "担当課（R5）",
        "達成度（R4）",
        "達成度（R5）",
        "委員会評価",
        "取組計画と達成状況（R5）",
    ]
    # The committee's grade of 施策 1 beside its items, merged over each item's rows.
    assert [row[6] if len(row) > 6 else None for row in main[header + 1 :]] == [
        "A",
        None,
        "A",
        None,
        None,
    ]
    assert "【委員会評価】施策ごとの推進委員会の評価" in main[header - 1][0]
    rows = _rows(book["委員会評価"])
    assert rows == [
        ["令和5年度 二層計画 委員会評価（施策ごと）"],
        ["施策", "評価", "評価コメント", "提言", "各課の達成度"],
        ["I 意識づくり"],
        ["1 理解の促進", "A", "周知が進んだ", "若年層へ広げること", "B 3"],
        ["II 働き方"],
        ["2 両立支援", None, None, None, "A 1（未回答 1）"],
    ]
    csv_path = tmp_path / "評価.csv"
    write_csv(table, csv_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == [
        "基本目標",
        "施策",
        "取組項目",
        "担当課",
        "前年度達成度",
        "達成度",
        "委員会評価",
        "取組計画と達成状況",
    ]
    assert [line[4:7] for line in lines[1:]] == [
        ["C", "B", "A"],
        ["B", "B", ""],
        ["A", "B", "A"],
        ["B", "A", ""],
        ["D", "", ""],
    ]


def test_evaluations_are_exported_when_recorded_or_asked_for(
    session: Session, committee_round: tuple[Plan, int]
) -> None:
    plan, round_id = committee_round
    assert export_evaluations(session, round_id=round_id, wanted=False) is None
    last = open_test_round(session, plan, year=2021)
    assert export_evaluations(session, round_id=last.id) is None  # nothing evaluated
    asked = export_evaluations(session, round_id=last.id, wanted=True)
    assert asked is not None and [row.grade for row in asked.rows] == [None, None]
    plan.evaluation_level = None  # a plan whose committee level was never chosen
    session.flush()
    with pytest.raises(InvalidInput, match="--evaluation-level 施策"):
        export_evaluations(session, round_id=last.id, wanted=True)


def test_a_round_without_last_year_indicators_or_evaluations_gets_the_summary_only(
    session: Session, tmp_path: Path
) -> None:
    plan = build_goals_plan(
        session, goals=[("意識づくり", "理解の促進", [("周知", ["女性センター"])])]
    )
    only = open_test_round(session, plan, year=2023)
    path = tmp_path / "first.xlsx"
    _table, sheets = _document(session, only.id, path)
    assert sheets.evaluations is None and sheets.indicators == ()
    book = load_workbook(path)
    assert book.sheetnames == ["達成状況一覧", "まとめ"]
    rows = _rows(book["まとめ"])
    assert not any("前年度" in str(row[0]) for row in rows)
    assert [chart["title"] for chart in _charts(path, book)] == [
        "基本目標別の達成度（取組項目数）",
        "担当課別の回答状況（報告枠数）",
    ]
