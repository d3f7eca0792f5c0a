"""A round over the real Tsurugashima table: the export reproduces the committee's sheet."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from handlers.export.table import build_table
from handlers.export.table_csv import write_csv
from handlers.export.table_xlsx import write_xlsx
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.table_import import import_plan
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import open_round
from models import Plan

SAMPLE = "tsurugashima_results_excerpt.csv"


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_export_reproduces_the_tsurugashima_sheet(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    sample = _read(samples_dir / SAMPLE)
    org = get_or_create_organization(session, name="鶴ヶ島市").id
    result = import_plan(session, organization_id=org, path=samples_dir / SAMPLE)
    info = open_round(
        session,
        plan=session.get_one(Plan, result.plan_id),
        fiscal_year=2023,
        deadline=date(2024, 5, 31),
        opens_on=date(2024, 4, 1),
    )
    # Answer every slot with the sample's grade; the item's comment from its first department.
    number = 0
    for line in sample[1:]:
        item, dept, grade, comment = line[2], line[3], line[4], line[5]
        if item:
            number = int(item.split()[0])
        submit_answer(
            session,
            round_id=info.id,
            department_id=find_department(session, organization_id=org, name=dept).id,
            item_number=number,
            grade=grade,
            comment=comment,
            reporter="sample",
            channel="test",
        )
    table = build_table(session, round_id=info.id)

    out = tmp_path / "result.csv"
    write_csv(table, out)
    exported = _read(out)
    assert exported[0] == sample[0]
    assert len(exported) == len(sample) == 19
    for got, want in zip(exported[1:], sample[1:], strict=True):
        # Hierarchy, item, department and grade exactly as in the office's sheet; the comment
        # is the only department's comment, as one `・` bullet.
        assert got[:5] == want[:5]
        assert got[5] == (f"・{want[5]}" if want[5] else "")
    # The export reads back as the same plan (blank cells = same as above).
    again = import_plan(session, organization_id=org, path=out, name="再取込")
    assert (again.items, again.assignments, again.departments) == (7, 18, 9)
    assert again.level_labels == ["基本目標", "施策"]

    book = tmp_path / "result.xlsx"
    write_xlsx(table, book, label="資料3")
    ws = load_workbook(book)["達成状況一覧"]
    # Like the committee's sheet: 資料 label, title, the 区分 legend above the table, the
    # year in the headers (担当課（R5）, 取組計画と達成状況（R5）).
    assert ws["F1"].value == "資料3"
    assert ws["A2"].value == "令和5年度 tsurugashima_results_excerpt 達成状況一覧"
    assert str(ws["A3"].value).startswith("【達成度の区分】A：計画以上（100%～）")
    assert [c.value for c in ws[5]] == [
        "基本目標",
        "施策",
        "取組項目",
        "担当課（R5）",
        "達成度（R5）",
        "取組計画と達成状況（R5）",
    ]
    assert [c.value for c in ws[6]][:4] == [
        "I 男女共同参画の意識づくり",
        "1 男女共同参画に関する理解の促進",
        "1 人権尊重の理念に基づいた意識の啓発",
        "女性センター",
    ]
    assert [ws.cell(row=r, column=4).value for r in range(6, 12)] == [
        "女性センター",
        "総務人権推進課",
        "健康長寿課",
        "こども支援課",
        "障害者福祉課",
        "生涯学習スポーツ課",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # Item 1 spans its 6 department rows; 基本目標 I all 18; 施策 1 items 1–4 (12 rows).
    assert {"C6:C11", "F6:F11", "A6:A23", "B6:B17", "B18:B23"} <= merged
