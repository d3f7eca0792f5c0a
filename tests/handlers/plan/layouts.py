"""Tables laid out as offices print them, written as CSV (what Excel saves) or as XLSX (made
with openpyxl, with real merged cells), and what an imported plan looks like, exactly.

Used by the layout tests of the plan import, its preview and the CLI.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import HokokuError
from handlers.organization.directory import find_department
from handlers.plan.view import TreeNode, plan_tree
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import open_round
from models import Item, Plan, Report

Rows = list[list[str]]


def write_table(
    path: Path,
    rows: Rows,
    *,
    merges: Iterable[str] = (),
    merge_down: Iterable[int] = (),
    data_column: int | None = None,
) -> Path:
    """`path` as CSV (UTF-8, cells as given: a merged cell is its top-left value and blanks)
    or, for `.xlsx`, as a workbook whose cells are `merges` (A3:A4 …) merged for real;
    `merge_down` columns (0-based) get a blank under a filled cell merged into it, as offices
    merge 基本目標/施策 cells, within the rows that have `data_column` filled."""
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
        return path
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "事業一覧"
    for row in rows:
        ws.append(
            [int(cell) if cell.isdigit() and len(cell) < 10 else cell or None for cell in row]
        )
    ranges = list(merges)
    if data_column is not None:
        ranges += _runs(rows, merge_down, data_column)
    for cell_range in ranges:
        ws.merge_cells(cell_range)
    book.save(path)
    return path


def _runs(rows: Rows, columns: Iterable[int], data_column: int) -> list[str]:
    """`A4:A6` for every filled cell with blanks under it, among consecutive data rows."""

    def data(r: int) -> bool:
        return len(rows[r]) > data_column and bool(rows[r][data_column])

    ranges: list[str] = []
    for col in columns:
        letter = get_column_letter(col + 1)
        r = 0
        while r < len(rows):
            if data(r) and len(rows[r]) > col and rows[r][col]:
                end = r
                while end + 1 < len(rows) and data(end + 1) and not rows[end + 1][col]:
                    end += 1
                if end > r:
                    ranges.append(f"{letter}{r + 1}:{letter}{end + 1}")
                r = end + 1
            else:
                r += 1
    return ranges


def tree(session: Session, plan_id: int) -> list[str]:
    """The imported plan, one line per node (`label display`) and item
    (`number display [departments]`), indented by depth: what the tests compare exactly."""
    shown = plan_tree(session, plan=session.get_one(Plan, plan_id))
    lines = [" › ".join([*shown.level_labels, shown.item_label])]

    def add(node: TreeNode, depth: int) -> None:
        lines.append(f"{'  ' * depth}{node.label} {node.display}")
        for child in node.children:
            add(child, depth + 1)
        for item in node.items:
            lines.append(
                f"{'  ' * (depth + 1)}{item.number} {item.display} [{'、'.join(item.departments)}]"
            )

    for node in shown.roots:
        add(node, 0)
    for item in shown.loose_items:
        lines.append(f"{item.number} {item.display} [{'、'.join(item.departments)}]")
    return lines


def answers_land(session: Session, plan_id: int) -> int:
    """Open a round and answer every item as each of its departments, by number as chat
    does: every answer must land on that item and department, and a department must be
    refused on an item it does not answer. Returns the answers stored."""
    plan = session.get_one(Plan, plan_id)
    info = open_round(
        session, plan=plan, fiscal_year=2031, deadline=date(2032, 5, 31), opens_on=date(2032, 4, 1)
    )
    items = list(
        session.scalars(select(Item).where(Item.plan_id == plan_id).order_by(Item.position))
    )
    everyone = {a.department.name for item in items for a in item.assignments}
    stored = 0
    for item in items:
        if item.repost_of_id is not None:
            continue
        mine = [a.department.name for a in item.assignments]
        for name in mine:
            dept = find_department(session, organization_id=plan.organization_id, name=name)
            outcome = submit_answer(
                session,
                round_id=info.id,
                department_id=dept.id,
                item_number=item.number,
                grade="B",
                comment=f"{name}/{item.number}",
                reporter="test",
                channel="console",
            )
            assert (outcome.item_display, outcome.department_name) == (item.display, name)
            stored += 1
        others = sorted(everyone - set(mine))
        if others:
            stranger = find_department(
                session, organization_id=plan.organization_id, name=others[0]
            )
            try:
                with session.begin_nested():
                    submit_answer(
                        session,
                        round_id=info.id,
                        department_id=stranger.id,
                        item_number=item.number,
                        grade="B",
                        comment="wrong",
                        reporter="test",
                        channel="console",
                    )
            except HokokuError:
                pass
            else:
                raise AssertionError(f"{others[0]} answered item {item.number}")
    comments = {
        r.comment
        for r in session.scalars(select(Report).where(Report.round_id == info.id))
        if r.grade is not None
    }
    assert len(comments) == stored
    return stored
