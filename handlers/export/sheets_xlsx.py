"""Writes the committee's sheets (`handlers.export.committee_sheets`) into the handout's workbook with
XlsxWriter: cells and merges as laid out, native Excel charts over the sheet's own tables, and
the same print set-up as the table (A4 landscape at 100 %, computed page breaks, page
numbers). Charts read the printed cells, so a number corrected in the sheet redraws them."""

from __future__ import annotations

from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format

from handlers.export.sheet_flow import ChartSpec, SheetLayout
from handlers.export.table import neutralize
from handlers.typesetting import (
    BODY_SIZE,
    PIXEL,
    TITLE_SIZE,
    column_points,
    print_setup,
)

HEADER_FILL = "#D9E1F2"
SECTION_FILL = "#EDEDED"
BEHIND_FILL = "#FCE4D6"
BORDER_COLOR = "#808080"
GRID_COLOR = "#D9D9D9"
CHART_FONT_SIZE = 8
CHART_TITLE_SIZE = 10
CHART_INSET = 4  # pixels kept free around a chart inside its row


class SheetFormats:
    """The cell formats of the committee's sheets, made once per workbook (XlsxWriter keeps
    every format it is given, so formats with a number format are cached by it)."""

    def __init__(self, book: Workbook, font: dict[str, Any]) -> None:
        self.book = book
        cell = {**font, "font_size": BODY_SIZE, "text_wrap": True, "valign": "vcenter"}
        boxed = {**cell, "border": 1, "border_color": BORDER_COLOR}
        self.specs: dict[str, dict[str, Any]] = {
            "title": {**font, "font_size": TITLE_SIZE, "bold": True, "valign": "vcenter"},
            "text": cell,
            "note": cell,
            "caption": {**cell, "bold": True},
            "header": {**boxed, "bold": True, "align": "center", "bg_color": HEADER_FILL},
            "section": {**boxed, "bold": True, "bg_color": SECTION_FILL},
            "body": boxed,
            "center": {**boxed, "align": "center"},
            "behind": {**boxed, "align": "center", "bg_color": BEHIND_FILL},
            "number": {**boxed, "align": "right"},
            "total": {**boxed, "bold": True},
            "total_number": {**boxed, "bold": True, "align": "right"},
        }
        self.font = font
        self.made: dict[tuple[str, str], Format] = {}

    def get(self, style: str, num_format: str = "") -> Format:
        key = (style, num_format)
        if key not in self.made:
            spec = dict(self.specs[style])
            if num_format:
                spec["num_format"] = num_format
            self.made[key] = self.book.add_format(spec)
        return self.made[key]


def write_sheet(book: Workbook, layout: SheetLayout, formats: SheetFormats) -> None:
    ws = book.add_worksheet(layout.name)
    for column, capacity in enumerate(layout.capacities):
        ws.set_column_pixels(column, column, column_points(capacity) / PIXEL)
    width_px = sum(column_points(c) for c in layout.capacities) / PIXEL
    for row, (line, height) in enumerate(zip(layout.lines, layout.heights, strict=True)):
        ws.set_row(row, height)
        column = 0
        for cell in line.cells:
            fmt = formats.get(cell.style, cell.num_format)
            last = column + cell.span - 1
            text = neutralize(cell.text)
            if last > column:
                ws.merge_range(row, column, row, last, text, fmt)
            elif cell.value is not None:
                ws.write_number(row, column, cell.value, fmt)
            elif text:
                ws.write_string(row, column, text, fmt)
            else:
                ws.write_blank(row, column, None, fmt)
            column = last + 1
        if line.chart is not None:
            chart = _chart(book, line.chart, layout, formats.font)
            chart.set_size(
                {"width": width_px - 2 * CHART_INSET, "height": height / PIXEL - 2 * CHART_INSET}
            )
            ws.insert_chart(
                row,
                0,
                chart,
                {"x_offset": CHART_INSET, "y_offset": CHART_INSET, "object_position": 1},
            )
    ws.set_h_pagebreaks(list(layout.breaks))
    if layout.header is not None:
        ws.repeat_rows(layout.header)
    print_setup(ws)


def _chart(book: Workbook, spec: ChartSpec, layout: SheetLayout, font: dict[str, Any]) -> Any:
    """A native chart reading the sheet's cells (line indexes mapped to the placed rows)."""
    name = layout.name
    rows = layout.rows
    options: dict[str, Any] = {"type": spec.kind}
    if spec.stacked:
        options["subtype"] = "stacked"
    chart = book.add_chart(options)
    small = {"name": font["font_name"], "size": CHART_FONT_SIZE}
    first, last, column = spec.categories
    for series in spec.series:
        name_line, name_column = series.name
        _, _, values_column = series.values
        chart.add_series(
            {
                "name": [name, rows[name_line], name_column],
                "categories": [name, rows[first], column, rows[last], column],
                "values": [name, rows[first], values_column, rows[last], values_column],
                "fill": {"color": series.color},
                "border": {"none": True},
                "gap": 60,
            }
        )
    chart.set_title(
        {"name": spec.title, "name_font": {**small, "size": CHART_TITLE_SIZE, "bold": True}}
    )
    values = {
        "num_font": small,
        "major_gridlines": {"visible": True, "line": {"color": GRID_COLOR}},
    }
    categories: dict[str, Any] = {"num_font": small}
    if spec.axis_title:
        categories |= {"name": spec.axis_title, "name_font": small}
    if spec.kind == "bar":  # categories top to bottom in the table's order, values below
        chart.set_y_axis({**categories, "reverse": True, "crossing": "max"})
        chart.set_x_axis(values)
    else:
        chart.set_x_axis(categories)
        chart.set_y_axis(values)
    chart.set_legend({"position": "right" if len(spec.series) > 2 else "bottom", "font": small})
    chart.set_chartarea({"border": {"none": True}})
    return chart
