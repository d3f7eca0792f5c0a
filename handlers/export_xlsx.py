"""The 達成状況一覧 as the committee's Excel sheet (openpyxl), plus a 評価基準 legend sheet.

Hierarchy cells are merged over consecutive rows under the same node, the item and its
comment over the item's department rows; text wraps, widths fit the text (a CJK character
counts double), rows are made tall enough for merged text (Excel never auto-fits merged
cells), and the sheet prints landscape on A4, one page wide, header row repeated.
Unanswered rows keep 達成度 empty and get a light fill.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from handlers.export import ExportTable, neutralize

SHEET_TITLE = "達成状況一覧"
LEGEND_TITLE = "評価基準"
LEGEND_HEADERS = ("達成度", "内容", "目安")
UNANSWERED_NOTE = "色付きで達成度が空欄の行は、まだ報告のない担当課です。"

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
UNANSWERED_FILL = PatternFill("solid", fgColor="FFF2CC")
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="top", horizontal="center")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")

LINE_HEIGHT = 16.0  # points per wrapped line (11 pt text)
MIN_WIDTH = 6
# Widest a column may get before its text wraps: hierarchy, item, department, grade, comment.
MAX_LEVEL_WIDTH = 24
MAX_ITEM_WIDTH = 36
MAX_DEPARTMENT_WIDTH = 18
MAX_GRADE_WIDTH = 8
MAX_COMMENT_WIDTH = 60


def display_width(text: str) -> int:
    """Width of the longest line in Excel column units: wide and ambiguous (★, ①) count 2."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def _lines(text: str, width: float) -> int:
    """Wrapped line count of `text` in a column `width` units wide (an estimate)."""
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in text.split("\n"))


def _max_widths(table: ExportTable) -> list[int]:
    levels = len(table.level_labels)
    return [MAX_LEVEL_WIDTH] * levels + [
        MAX_ITEM_WIDTH,
        MAX_DEPARTMENT_WIDTH,
        MAX_GRADE_WIDTH,
        MAX_COMMENT_WIDTH,
    ]


def _merges(table: ExportTable) -> list[tuple[int, int, int]]:
    """(column, first row, last row), 0-based, of every merged block of two rows or more."""
    blocks: list[tuple[int, int, int]] = []
    for level in range(len(table.level_labels)):
        blocks += [(level, a, b) for a, b in table.level_runs(level) if b > a]
    for a, b in table.item_runs():
        if b > a:
            blocks += [(table.item_column, a, b), (table.comment_column, a, b)]
    return blocks


def _write_main(ws: Worksheet, table: ExportTable) -> None:
    headers = table.headers
    grade_column = table.item_column + 2
    department_column = table.item_column + 1
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=neutralize(text))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = HEADER_ALIGN

    body: list[list[str]] = []
    for index, row in enumerate(table.rows):
        values = [*row.path, row.item, row.department, row.grade or "", row.comment]
        body.append(values)
        for col, text in enumerate(values):
            cell = ws.cell(row=index + 2, column=col + 1, value=neutralize(text) or None)
            cell.border = BORDER
            cell.alignment = WRAP_CENTER if col == grade_column else WRAP_TOP
            if not row.answered and col in (department_column, grade_column):
                cell.fill = UNANSWERED_FILL

    caps = _max_widths(table)
    widths = [
        min(
            caps[c], max(MIN_WIDTH, display_width(headers[c]), *(display_width(r[c]) for r in body))
        )
        + 2
        for c in range(len(headers))
    ]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width

    merges = _merges(table)
    merged_cells = {(c, r) for c, a, b in merges for r in range(a, b + 1)}
    heights = [
        LINE_HEIGHT
        * max(
            [1]
            + [_lines(r[c], widths[c]) for c in range(len(headers)) if (c, i) not in merged_cells]
        )
        for i, r in enumerate(body)
    ]
    # Merged text needs the rows it spans to be tall enough together; spread any shortfall.
    for col, first, last in sorted(merges, key=lambda m: m[2] - m[1]):
        need = LINE_HEIGHT * _lines(body[first][col], widths[col])
        have = sum(heights[first : last + 1])
        if need > have:
            extra = (need - have) / (last - first + 1)
            for i in range(first, last + 1):
                heights[i] += extra
    for index, height in enumerate(heights):
        ws.row_dimensions[index + 2].height = round(height, 1)
    header_lines = max(_lines(h, w) for h, w in zip(headers, widths, strict=True))
    ws.row_dimensions[1].height = LINE_HEIGHT * header_lines + 4

    for col, first, last in merges:
        ws.merge_cells(
            start_row=first + 2, start_column=col + 1, end_row=last + 2, end_column=col + 1
        )

    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    header, footer = ws.oddHeader, ws.oddFooter
    assert header is not None and footer is not None
    header.center.text = table.title
    footer.center.text = "&P / &N"


def _write_legend(ws: Worksheet, table: ExportTable) -> None:
    for col, text in enumerate(LEGEND_HEADERS, start=1):
        cell = ws.cell(row=1, column=col, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = HEADER_ALIGN
    rows = [(g.letter, g.label, g.band) for g in table.scale.grades]
    for index, values in enumerate(rows, start=2):
        for col, text in enumerate(values, start=1):
            cell = ws.cell(row=index, column=col, value=neutralize(text) or None)
            cell.border = BORDER
            cell.alignment = WRAP_CENTER if col == 1 else WRAP_TOP
    note_row = len(rows) + 3
    ws.cell(row=note_row, column=1, value=UNANSWERED_NOTE)
    ws.cell(row=note_row, column=1).fill = UNANSWERED_FILL
    ws.cell(row=note_row + 1, column=1, value=neutralize(table.title))
    for col in range(1, len(LEGEND_HEADERS) + 1):
        texts = [LEGEND_HEADERS[col - 1], *(r[col - 1] for r in rows)]
        ws.column_dimensions[get_column_letter(col)].width = (
            max(MIN_WIDTH, *(display_width(t) for t in texts)) + 2
        )


def write_xlsx(table: ExportTable, path: Path) -> None:
    workbook = Workbook()
    main = workbook.active
    assert isinstance(main, Worksheet)
    main.title = SHEET_TITLE
    _write_main(main, table)
    _write_legend(workbook.create_sheet(LEGEND_TITLE), table)
    workbook.save(path)
