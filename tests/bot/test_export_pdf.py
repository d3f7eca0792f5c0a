"""The Nishitokyo handout rendered by LibreOffice, read back from the PDF with pdfplumber.

What the office would check by eye, checked on the real rendering (not on our own model of
it): the page count, that every page names its 基本目標, and that no text overflows its
cell. Overflow is found from the PDF alone: the table's ruling lines give the cells
(pdfplumber `find_tables`), and every cell's text must be found whole inside its own cell
(clipped or spilled text would be missing or land in a neighbour) and no glyph may cross
or touch a horizontal rule. Skipped with the reason when LibreOffice is not installed;
CI installs it (.ci/run).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select

from bot.export_pdf import PdfUnavailable, convert_to_pdf, soffice
from handlers.directory import get_or_create_organization
from handlers.export import ExportTable, build_table
from handlers.export_layout import HandoutLayout
from handlers.export_xlsx import write_xlsx
from handlers.plan_import import import_plan
from handlers.reports import submit_answer
from handlers.rounds import open_round
from models import Assignment, Item, Plan, Report
from models.db import make_engine, make_session_factory, transaction, upgrade

COMMENTS = (
    "情報誌を年4回発行し、市内公共施設で配布した。",
    "市報及びホームページで情報を提供した。パネル展を市役所ロビーで開催し、約300人が来場した。",
    "前年度に引き続き実施した。",
    "講座を2回開催し、延べ45人が参加した。アンケートでは9割が「理解が深まった」と回答した。",
    "",
)
GRADES = "ABBCD"
SPACES = re.compile(r"\s+")


def _flat(text: str | None) -> str:
    return SPACES.sub("", text or "")


def _nishitokyo(samples_dir: Path, tmp_path: Path) -> ExportTable:
    """The Nishitokyo plan (111 items, 216 slots), every slot answered."""
    engine = make_engine(f"sqlite:///{tmp_path / 'render.db'}")
    upgrade(engine)
    with transaction(make_session_factory(engine)) as s:
        org = get_or_create_organization(s, name="西東京市").id
        imported = import_plan(s, organization_id=org, path=samples_dir / "nishitokyo_plan.csv")
        plan = s.get_one(Plan, imported.plan_id)
        rnd = open_round(
            s, plan=plan, fiscal_year=2025, deadline=date(2026, 5, 29), opens_on=date(2026, 4, 1)
        )
        slots = s.execute(
            select(Assignment.department_id, Item.number)
            .join(Report, Report.assignment_id == Assignment.id)
            .join(Item, Item.id == Assignment.item_id)
            .where(Report.round_id == rnd.id)
            .order_by(Report.id)
        ).all()
        for n, (department_id, number) in enumerate(slots):
            submit_answer(
                s,
                round_id=rnd.id,
                department_id=department_id,
                item_number=number,
                grade=GRADES[n % len(GRADES)],
                comment=COMMENTS[n % len(COMMENTS)],
                reporter="test",
                channel="test",
            )
        table = build_table(s, round_id=rnd.id)
    engine.dispose()
    return table


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


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_nishitokyo_handout_renders_as_laid_out(samples_dir: Path, tmp_path: Path) -> None:
    table = _nishitokyo(samples_dir, tmp_path)
    xlsx = tmp_path / "達成状況一覧.xlsx"
    handout = write_xlsx(table, xlsx, label="資料3")
    assert handout.oversize == ()
    pdf_path = convert_to_pdf(xlsx)
    assert pdf_path == tmp_path / "達成状況一覧.pdf"

    with pdfplumber.open(pdf_path) as pdf:
        assert len(pdf.pages) == len(handout.pages) >= 2
        for number, page in enumerate(pdf.pages):
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


def test_pdf_without_libreoffice_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    source = tmp_path / "a.xlsx"
    source.write_bytes(b"")
    with pytest.raises(PdfUnavailable, match="soffice が見つかりません。LibreOffice を入れて"):
        convert_to_pdf(source)
    assert not (tmp_path / "a.pdf").exists()
