"""Where everything goes on the committee's other sheets (まとめ, 指標, 委員会評価): lines of cells
on a grid of columns, heights and A4 pages computed like the table's (`typesetting`).

A sheet is a list of `Line`s top to bottom: a title, sentences, table headers and rows, a
chart. Every cell's height is computed from its wrapped text (the same monospaced BIZ UD
arithmetic as the table), a chart has the height it is drawn at, and lines are packed onto
pages greedily, never splitting a line and keeping a line marked `keep_with_next` (a
caption, a table header) on the page of the line after it. Rows under a section heading
(`Line.section`) that start a new page get the heading again (「…（続き）」). One linear pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from handlers.typesetting import (
    BODY_SIZE,
    MAX_ROW_HEIGHT,
    MIN_CAP,
    PRINT_HEIGHT,
    PRINT_WIDTH,
    TEXT_INSET,
    column_points,
    display_width,
    pixels,
    text_height,
)

HEADER_AIR = 3.0  # bold header text gets a little more room than body text (as the table's)
REST_SHARE = 0.4  # of the printable width, at most, promised to the column taking the rest


@dataclass(frozen=True)
class Cell:
    """One cell's text; `span` columns merged; `value` is written as a number (charts read
    it) and shows as `text` through `num_format`."""

    text: str
    style: str = "body"  # a format of the writer: body, number, center, header, text, title …
    span: int = 1
    value: float | None = None
    num_format: str = ""


@dataclass(frozen=True)
class ChartSeries:
    name: tuple[int, int]  # (line, column) of the series' name
    values: tuple[int, int, int]  # (first line, last line, column)
    color: str


@dataclass(frozen=True)
class ChartSpec:
    """A native chart drawn over its line, reading cells of the sheet's own tables."""

    kind: str  # "bar" (horizontal) or "column" (vertical)
    title: str
    categories: tuple[int, int, int]  # (first line, last line, column)
    series: tuple[ChartSeries, ...]
    stacked: bool = False
    axis_title: str = ""


@dataclass(frozen=True)
class Line:
    cells: tuple[Cell, ...] = ()
    height: float | None = None  # fixed (charts, spacers); None = from the cells' text
    size: float = BODY_SIZE  # font size of the cells' text
    keep_with_next: bool = False
    chart: ChartSpec | None = None
    section: str | None = None  # the heading this row sits under (repeated on a new page)


@dataclass(frozen=True)
class SheetLayout:
    name: str
    capacities: tuple[int, ...]  # half-width characters per line, per column
    lines: tuple[Line, ...]  # as placed: section headings repeated where a page starts
    heights: tuple[float, ...]  # points, per line
    breaks: tuple[int, ...]  # placed line indexes that start a page (after the first)
    header: int | None  # placed line index repeated on every page (print titles)
    rows: dict[int, int] = field(default_factory=dict)  # given line index → placed index
    oversize: int = 0  # lines taller than a page (placed alone, cut by the printer)

    @property
    def pages(self) -> int:
        return len(self.breaks) + 1


def fit_columns(wanted: list[int], *, rest: int, minimum: int = MIN_CAP) -> tuple[int, ...]:
    """Capacities filling the printable width: column `rest` gets what the others leave. It
    is promised its wish up to REST_SHARE of the width; to keep that, the others shrink evenly
    (never below `minimum`)."""
    room = int((PRINT_WIDTH - len(wanted) * TEXT_INSET) // (BODY_SIZE / 2))
    others = [c for c in range(len(wanted)) if c != rest]
    caps = [max(minimum, w) for w in wanted]
    caps[rest] = max(minimum, min(wanted[rest], int(room * REST_SHARE)))
    over = sum(caps) - room
    if over > 0:
        flexible = sum(caps[c] - minimum for c in others)
        for c in others:
            cut = math.ceil((caps[c] - minimum) * over / flexible) if flexible else 0
            caps[c] = max(minimum, caps[c] - cut)
    caps[rest] = room - sum(caps[c] for c in others)
    return tuple(caps)


def natural_widths(lines: list[Line], columns: int) -> list[int]:
    """The widest one-column cell text of every column (merged cells do not count)."""
    wanted = [0] * columns
    for line in lines:
        column = 0
        for cell in line.cells:
            if cell.span == 1:
                wanted[column] = max(wanted[column], display_width(cell.text))
            column += cell.span
    return wanted


def span_capacity(capacities: tuple[int, ...], first: int, span: int, size: float) -> int:
    """Characters per line of `span` merged columns starting at `first`, at font `size`."""
    points = sum(column_points(c) for c in capacities[first : first + span]) - TEXT_INSET
    return max(1, int(points // (size / 2)))


def line_height(line: Line, capacities: tuple[int, ...]) -> float:
    if line.height is not None:
        return pixels(line.height)
    need = line.size + 6.0
    column = 0
    for cell in line.cells:
        capacity = span_capacity(capacities, column, cell.span, line.size)
        air = HEADER_AIR if cell.style == "header" else 0.0
        need = max(need, text_height(cell.text, capacity, size=line.size) + air)
        column += cell.span
    return pixels(need)


def paginate(
    name: str,
    lines: list[Line],
    capacities: tuple[int, ...],
    *,
    continued: str,
    header: int | None = None,
) -> SheetLayout:
    """Heights and page breaks; `header` (a line index) is printed again on every page, and a
    section that goes on over a page break gets its heading again, marked `continued`."""
    heights = [line_height(line, capacities) for line in lines]
    repeat = heights[header] if header is not None else 0.0
    placed: list[Line] = []
    placed_heights: list[float] = []
    rows: dict[int, int] = {}
    breaks: list[int] = []
    used = 0.0
    oversize = 0
    index = 0
    while index < len(lines):
        group = index  # a line kept with the next one travels with it
        while group < len(lines) - 1 and lines[group].keep_with_next:
            group += 1
        need = sum(heights[index : group + 1])
        room = PRINT_HEIGHT - (repeat if breaks and header is not None else 0.0)
        if used + need > room and placed:
            breaks.append(len(placed))
            used = 0.0
            section = lines[index].section
            if section is not None and index > 0 and lines[index - 1].section == section:
                heading = section_heading(section + continued, len(capacities))
                placed.append(heading)
                placed_heights.append(line_height(heading, capacities))
                used += placed_heights[-1]
            room = PRINT_HEIGHT - (repeat if header is not None else 0.0)
        if need > room:
            oversize += 1
        for at in range(index, group + 1):
            rows[at] = len(placed)
            placed.append(lines[at])
            placed_heights.append(min(heights[at], MAX_ROW_HEIGHT))
        used += need
        index = group + 1
    return SheetLayout(
        name=name,
        capacities=capacities,
        lines=tuple(placed),
        heights=tuple(placed_heights),
        breaks=tuple(breaks),
        header=rows.get(header) if header is not None else None,
        rows=rows,
        oversize=oversize,
    )


def section_heading(text: str, columns: int) -> Line:
    """A shaded row across the sheet naming the group of rows below it (基本目標 …)."""
    return Line(cells=(Cell(text, "section", span=columns),), keep_with_next=True)
