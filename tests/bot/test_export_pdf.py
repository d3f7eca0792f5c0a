"""The Nishitokyo committee document rendered by LibreOffice, read back from the PDF with
pdfplumber.

What the office would check by eye, checked on the real rendering (not on our own model of
it): the page count, that every page names its 基本目標, and that no text overflows its
cell. Overflow is found from the PDF alone: the table's ruling lines give the cells
(pdfplumber `find_tables`), and every cell's text must be found whole inside its own cell
(clipped or spilled text would be missing or land in a neighbour) and no glyph may cross
or touch a horizontal rule. The same holds on the sheets after the table (まとめ with its
charts, 指標, 委員会評価): every ruled cell's text whole in a cell, every sentence and chart
title whole on its page, nothing outside the page. Skipped with the reason when
LibreOffice is not installed; CI installs it (.ci/run).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from sqlalchemy.orm import Session

from bot.export_pdf import PdfUnavailable, convert_to_pdf, soffice
from handlers.committee.evaluations import set_evaluation
from handlers.committee.indicators import import_indicators, report_indicator_value
from handlers.export.document import CommitteeSheets, build_committee_sheets, export_evaluations
from handlers.export.sheet_flow import SheetLayout
from handlers.export.table import ExportTable, build_table
from handlers.export.table_layout import HandoutLayout
from handlers.export.table_xlsx import write_xlsx
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.nodes import PlanTree
from handlers.plan.settings import edit_plan
from handlers.plan.table_import import import_plan
from handlers.reporting.rounds import open_round
from models import Plan
from models.db import make_engine, make_session_factory, transaction, upgrade
from tests.factories import answer_every_slot

COMMENTS = (
    "情報誌を年4回発行し、市内公共施設で配布した。",
    "市報及びホームページで情報を提供した。パネル展を市役所ロビーで開催し、約300人が来場した。",
    "前年度に引き続き実施した。",
    "講座を2回開催し、延べ45人が参加した。アンケートでは9割が「理解が深まった」と回答した。",
    "",
)
GRADES = "ABBCD"
EVALUATION = (
    "各課の取組は概ね計画どおり進んでいる。特に情報誌や講座による啓発は参加者の評価も高く、"
    "継続が望まれる。一方で、若年層や男性の参加が少ない事業があり、周知の方法に工夫が必要である。"
)
PROPOSAL = "SNSや学校との連携により、若い世代に届く周知を強化すること。"
INDICATORS = """番号,指標,単位,基準年度,基準値,目標年度,目標値,所管
1,男女平等推進センターパリティの認知度,%,2019,35.2,2028,50,協働コミュニティ課
2,審議会等における女性委員の割合,%,令和元年度,32.1,令和10年度,40,
3,男女平等参画に関する講座の参加者数,人,2019,1200,2028,1800,協働コミュニティ課
"""
SPACES = re.compile(r"\s+")
BOXED = {"header", "section", "body", "center", "behind", "number", "total", "total_number"}


def _flat(text: str | None) -> str:
    return SPACES.sub("", text or "")


def _answer_all(s: Session, round_id: int, shift: int) -> None:
    answer_every_slot(
        s,
        round_id=round_id,
        grade=lambda n: GRADES[(n + shift) % len(GRADES)],
        comment=lambda n: COMMENTS[n % len(COMMENTS)],
        reporter="test",
        channel="test",
    )


def _nishitokyo(samples_dir: Path, tmp_path: Path) -> tuple[ExportTable, CommitteeSheets]:
    """The Nishitokyo plan (111 items, 216 slots), every slot answered in two years, three
    indicators, every 課題 evaluated by the committee."""
    engine = make_engine(f"sqlite:///{tmp_path / 'render.db'}")
    upgrade(engine)
    with transaction(make_session_factory(engine)) as s:
        org = get_or_create_organization(s, name="西東京市").id
        imported = import_plan(s, organization_id=org, path=samples_dir / "nishitokyo_plan.csv")
        plan = s.get_one(Plan, imported.plan_id)
        last = open_round(
            s, plan=plan, fiscal_year=2024, deadline=date(2025, 5, 30), opens_on=date(2025, 4, 1)
        )
        _answer_all(s, last.id, shift=1)
        rnd = open_round(
            s, plan=plan, fiscal_year=2025, deadline=date(2026, 5, 29), opens_on=date(2026, 4, 1)
        )
        _answer_all(s, rnd.id, shift=0)
        indicators = tmp_path / "indicators.csv"
        indicators.write_text(INDICATORS, encoding="utf-8")
        import_indicators(s, plan_id=plan.id, path=indicators)
        office = find_department(s, organization_id=org, name="協働コミュニティ課").id
        for number, value, dept in (("1", "41.7", office), ("2", "33.0", None)):
            report_indicator_value(
                s,
                round_id=rnd.id,
                department_id=dept,
                number=number,
                value=value,
                reporter="test",
                channel="office",
            )
        edit_plan(s, plan_id=plan.id, evaluation_level="課題")
        for n, ref in enumerate(PlanTree(s, plan_id=plan.id).at_depth(1)):
            set_evaluation(
                s,
                round_id=rnd.id,
                node=ref.hint,
                grade="ABC"[n % 3],
                comment=EVALUATION * (2 + n % 3),
                proposal=PROPOSAL if n % 2 else "",
                evaluator="test",
            )
        evaluations = export_evaluations(s, round_id=rnd.id)
        table = build_table(s, round_id=rnd.id, previous=True, evaluations=evaluations)
        committee = build_committee_sheets(
            s, round_id=rnd.id, today=date(2026, 6, 1), evaluations=evaluations
        )
    engine.dispose()
    return table, committee


def _expected_cells(table: ExportTable, handout: HandoutLayout, page: int) -> list[str]:
    """Flattened non-empty texts of the cells on one page (a merged block counts once)."""
    first, last = handout.pages[page].first, handout.pages[page].last
    covered = {
        (m.column, r)
        for m in handout.merges
        if first <= m.first <= last
        for r in range(m.first + 1, m.last + 1)
    }
    texts = [_flat(h) for h in table.handout_headers]
    for index in range(first, last + 1):
        for column, text in enumerate(table.cells(table.rows[index])):
            if (column, index) not in covered and text:
                texts.append(_flat(text))
    return sorted(texts)


def _sheet_pages(sheet: SheetLayout) -> list[list[int]]:
    """Placed line indexes per printed page (the repeated header row included)."""
    pages = []
    for number, (first, end) in enumerate(itertools.pairwise([0, *sheet.breaks, len(sheet.lines)])):
        repeated = [sheet.header] if number and sheet.header is not None else []
        pages.append([*repeated, *range(first, end)])
    return pages


def _check_sheet_page(page: Any, sheet: SheetLayout, lines: list[int], where: str) -> None:
    """Every ruled cell's text whole in a cell of the page's tables, every sentence and chart
    title whole on the page, no glyph on a table's rule or off the page."""
    cells = [cell for index in lines for cell in sheet.lines[index].cells if cell.text]
    boxed = [_flat(cell.text) for cell in cells if cell.style in BOXED]
    free = [_flat(cell.text) for cell in cells if cell.style not in BOXED]
    charts = [_flat(chart.title) for i in lines if (chart := sheet.lines[i].chart) is not None]
    tables = page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"})
    found = Counter(
        _flat(cell) for table in tables for row in table.extract() for cell in row if cell
    )
    assert Counter(boxed) <= found, (where, Counter(boxed) - found)
    text = _flat(page.extract_text())
    for sentence in (*free, *charts):
        assert sentence in text, (where, sentence)
    assert all(c["x0"] >= 0 and c["x1"] <= page.width for c in page.chars), where
    ruled = [t for t in tables if any(_flat(cell) in boxed for row in t.extract() for cell in row)]
    for table in ruled:
        x0, top, x1, bottom = table.bbox
        rules = [
            e
            for e in page.edges
            if e["orientation"] == "h" and top - 1 <= e["top"] <= bottom + 1 and x0 - 1 <= e["x0"]
        ]
        for char in page.chars:
            middle = (char["x0"] + char["x1"]) / 2
            if not (x0 <= middle <= x1 and top <= char["top"] <= bottom):
                continue
            for rule in rules:
                if rule["x0"] <= middle <= rule["x1"]:
                    assert not (char["top"] - 1.0 < rule["top"] < char["bottom"] + 1.0), (
                        where,
                        char["text"],
                    )


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_nishitokyo_committee_document_renders_as_laid_out(
    samples_dir: Path, tmp_path: Path
) -> None:
    table, committee = _nishitokyo(samples_dir, tmp_path)
    xlsx = tmp_path / "達成状況一覧.xlsx"
    handout = write_xlsx(table, xlsx, label="資料3", committee=committee)
    assert handout.oversize == () and all(sheet.oversize == 0 for sheet in handout.sheets)
    assert [sheet.name for sheet in handout.sheets] == ["まとめ", "指標", "委員会評価"]
    evaluation_sheet = handout.sheets[2]
    assert evaluation_sheet.pages >= 2  # long comments: the sheet continues on a next page
    pdf_path = convert_to_pdf(xlsx)
    assert pdf_path == tmp_path / "達成状況一覧.pdf"

    with pdfplumber.open(pdf_path) as pdf:
        assert len(pdf.pages) == handout.total_pages >= len(handout.pages) + 4
        for number, page in enumerate(pdf.pages[: len(handout.pages)]):
            tables = page.find_tables(
                {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
            )
            assert len(tables) == 1, number + 1
            # The table's text: BIZ UDゴシック, 9 pt (the footer's page number is 10.5 pt).
            _left, top, _right, bottom = tables[0].bbox
            body = [c for c in page.chars if top < c["top"] and c["bottom"] < bottom]
            assert {c["fontname"].split("+")[-1] for c in body} >= {"BIZUDGothic-Regular"}
            assert {round(c["size"], 1) for c in body} == {9.0}
            found = sorted(_flat(cell) for row in tables[0].extract() for cell in row if cell)
            assert found == _expected_cells(table, handout, number), number + 1
            # Every page names its 基本目標 (and 課題, 施策): its first row's cells.
            first_row = tables[0].extract()[1]
            path = [_flat(text) for text in table.rows[handout.pages[number].first].path]
            assert [_flat(cell) for cell in first_row[: len(path)]] == path, number + 1

            # No glyph crosses or touches a horizontal rule of the table.
            rules = [e for e in page.edges if e["orientation"] == "h"]
            for char in page.chars:
                middle = (char["x0"] + char["x1"]) / 2
                for rule in rules:
                    if rule["x0"] <= middle <= rule["x1"]:
                        assert not (char["top"] - 1.0 < rule["top"] < char["bottom"] + 1.0), (
                            number + 1,
                            char["text"],
                        )

        # The committee's sheets, page by page after the table's.
        at = len(handout.pages)
        for sheet in handout.sheets:
            for number, lines in enumerate(_sheet_pages(sheet)):
                _check_sheet_page(pdf.pages[at], sheet, lines, f"{sheet.name} {number + 1}")
                at += 1
    assert any(
        line.cells[0].text.endswith("（続き）") for line in evaluation_sheet.lines if line.cells
    )


def test_pdf_without_libreoffice_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    source = tmp_path / "a.xlsx"
    source.write_bytes(b"")
    with pytest.raises(PdfUnavailable, match="soffice が見つかりません。LibreOffice を入れて"):
        convert_to_pdf(source)
    assert not (tmp_path / "a.pdf").exists()
