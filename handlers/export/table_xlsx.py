"""The 達成状況一覧 as the handout the office prints as it is (XlsxWriter).

Above the table: the 資料 label (optional), the title (年度, plan, 達成状況一覧) and the
grade legend (達成度の区分). The table: year-marked headers repeated on every page, the
hierarchy cells merged per page (so every page starts by naming its 基本目標/課題/施策),
item and comment merged over the item's department rows, grades centred, unanswered
slots shaded. Widths, heights and page breaks come from `handlers.export.table_layout`; A4
landscape at 100 %, manual row breaks, no item split across pages.

XlsxWriter rather than openpyxl: it writes cells, merges and formats in linear time (about
twice as fast as openpyxl's cell styles on 70,000 cells, and without openpyxl's per-merge
border bookkeeping), and sets the workbook's default font, which Excel and LibreOffice use
to convert column widths.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format

from handlers.export.committee_sheets import committee_layouts
from handlers.export.document import CommitteeSheets
from handlers.export.sheets_xlsx import SheetFormats, write_sheet
from handlers.export.table import ExportTable, neutralize
from handlers.export.table_layout import HandoutLayout, layout, plan_capacities
from handlers.i18n import Translator, translator
from handlers.scale import Grade
from handlers.typesetting import (
    BODY_SIZE,
    BOOK_OPTIONS,
    CELL_PAD,
    FONT,
    TEXT_INSET,
    TITLE_SIZE,
    column_points,
    pixels,
    print_setup,
    text_height,
    wrapped_lines,
)

HEADER_FILL = "#D9E1F2"
UNANSWERED_FILL = "#FFF2CC"
BORDER_COLOR = "#808080"
LABEL_SIZE = 12.0
SPACER = 6.0  # points between the legend and the table
HEADER_AIR = 3.0  # bold header text gets a little more room than body text


def _grade(t: Translator, grade: Grade) -> str:
    """`A：計画以上（100%～）` / `A: 計画以上 (100%～)`; the letter alone when it has no words."""
    detail = t("handout.legend.band", label=grade.label, band=grade.band) if grade.band else ""
    detail = detail or grade.label
    return t("handout.legend.grade", letter=grade.letter, detail=detail) if detail else grade.letter


def legend_text(table: ExportTable) -> str:
    """`【達成度の区分】A：計画以上（100%～）　B：…`, plus the unanswered note when needed
    (in the table's language)."""
    t = translator(table.words.language)
    separator = t("handout.legend.separator")
    text = t("handout.legend.grades") + separator.join(_grade(t, g) for g in table.scale.grades)
    if table.evaluation_level is not None and table.evaluation_scale is not None:
        text += "\n" + t("handout.legend.evaluation", level=table.evaluation_level)
        labelled = [_grade(t, g) for g in table.evaluation_scale.grades if g.label]
        if labelled:
            text += separator + separator.join(labelled)
    if any(not row.answered for row in table.rows):
        text += "\n" + t("handout.legend.unanswered")
    return text


def _formats(book: Workbook) -> dict[str, Format]:
    cell = {**FONT, "font_size": BODY_SIZE, "text_wrap": True, "valign": "vcenter"}
    boxed = {**cell, "border": 1, "border_color": BORDER_COLOR}
    specs: dict[str, dict[str, Any]] = {
        "body": boxed,
        "grade": {**boxed, "align": "center"},
        "pending": {**boxed, "bg_color": UNANSWERED_FILL},
        "pending_grade": {**boxed, "align": "center", "bg_color": UNANSWERED_FILL},
        "header": {**boxed, "bold": True, "align": "center", "bg_color": HEADER_FILL},
        "title": {**FONT, "font_size": TITLE_SIZE, "bold": True, "align": "center"},
        "label": {**FONT, "font_size": LABEL_SIZE, "bold": True, "align": "right"},
        "legend": {**cell, "align": "left"},
    }
    return {name: book.add_format(spec) for name, spec in specs.items()}


def write_xlsx(
    table: ExportTable,
    path: Path,
    *,
    label: str | None = None,
    committee: CommitteeSheets | None = None,
) -> HandoutLayout:
    """Write the handout; returns its layout (pages, widths, heights) for messages and tests.

    With `committee` (`handlers.export.document.build_committee_sheets`) the sheets まとめ,
    指標 and 委員会評価 follow the table (`handlers.export.committee_sheets`), each printable as it is.
    """
    headers = table.handout_headers
    capacities = plan_capacities(table, headers)
    last_column = len(headers) - 1
    width = sum(column_points(c) for c in capacities) - TEXT_INSET

    title = neutralize(table.title)
    legend = legend_text(table)
    top_rows: list[tuple[str, float]] = []  # (kind, height) above the header row
    if label:
        top_rows.append(("label", pixels(LABEL_SIZE + CELL_PAD)))
    title_lines = wrapped_lines(title, int(width // (TITLE_SIZE / 2)))
    top_rows.append(("title", pixels(title_lines * TITLE_SIZE + CELL_PAD + 2)))
    top_rows.append(("legend", pixels(text_height(legend, int(width // (BODY_SIZE / 2))))))
    top_rows.append(("spacer", SPACER))
    plan = layout(
        table,
        headers=headers,
        capacities=capacities,
        first_page_top=sum(height for _kind, height in top_rows),
        header_air=HEADER_AIR,
    )

    book = Workbook(str(path), BOOK_OPTIONS)
    formats = _formats(book)
    ws = book.add_worksheet(table.words.document)
    for column, capacity in enumerate(capacities):
        ws.set_column_pixels(column, column, column_points(capacity) / 0.75)

    row = 0
    for kind, height in top_rows:
        ws.set_row(row, height)
        if kind == "label":
            ws.write_string(row, last_column, neutralize(label or ""), formats["label"])
        elif kind == "title":
            ws.merge_range(row, 0, row, last_column, title, formats["title"])
        elif kind == "legend":
            ws.merge_range(row, 0, row, last_column, neutralize(legend), formats["legend"])
        row += 1
    header_row = row
    ws.set_row(header_row, plan.header_height)
    for column, text in enumerate(headers):
        ws.write_string(header_row, column, neutralize(text), formats["header"])
    first_body = header_row + 1
    _write_body(ws, table, plan, formats, first_body)

    ws.set_h_pagebreaks([first_body + page.first for page in plan.pages[1:]])
    ws.repeat_rows(header_row)
    ws.freeze_panes(first_body, 0)
    print_setup(ws)
    sheets = committee_layouts(committee) if committee is not None else ()
    if sheets:
        formats_after = SheetFormats(book, FONT)
        for sheet in sheets:
            write_sheet(book, sheet, formats_after)
    try:
        book.close()
    except FileCreateError as exc:  # XlsxWriter wraps the OSError; callers handle OSError
        cause = exc.args[0] if exc.args else None
        raise cause if isinstance(cause, OSError) else OSError(str(exc)) from exc
    return replace(plan, sheets=sheets)


def _write_body(
    ws: Any, table: ExportTable, plan: HandoutLayout, formats: dict[str, Format], first: int
) -> None:
    rows = len(table.rows)
    columns = len(table.headers)
    # span[c][r]: last row of the cell starting at r (r itself if unmerged), -1 if covered.
    span = [list(range(rows)) for _ in range(columns)]
    for merge in plan.merges:
        span[merge.column][merge.first] = merge.last
        for covered in range(merge.first + 1, merge.last + 1):
            span[merge.column][covered] = -1
    grade_columns = set(table.grade_columns)
    shaded_columns = {table.department_column, table.grade_column}  # 担当課, this 達成度
    for index, (row, height) in enumerate(zip(table.rows, plan.heights, strict=True)):
        ws.set_row(first + index, height)
        for column, text in enumerate(table.cells(row)):
            last = span[column][index]
            if last < 0:
                continue
            shaded = not row.answered and column in shaded_columns
            if column in grade_columns:
                fmt = formats["pending_grade" if shaded else "grade"]
            else:
                fmt = formats["pending" if shaded else "body"]
            value = neutralize(text)
            if last > index:
                ws.merge_range(first + index, column, first + last, column, value, fmt)
            elif value:
                ws.write_string(first + index, column, value, fmt)
            else:
                ws.write_blank(first + index, column, None, fmt)
