"""Where everything goes on the printed 達成状況一覧: column widths, row heights, page breaks.

Pure arithmetic on the table (no openpyxl); `handlers.export.table_xlsx` applies the result.

Heights come from `typesetting` (BIZ UDゴシック's metrics: the lines a cell wraps to are
simulated, not estimated). The workbook's default font is the same family at 10.5 pt, whose
digit is 5.25 pt = 7 px at 96 dpi, so Excel and LibreOffice convert a column width unit to
the same 5.25 pt.

Pages: A4 landscape at 100 % (no fit-to-page, which makes Excel ignore manual breaks). Rows
are packed onto pages greedily by whole items (an item's department rows never split), and
the hierarchy cells (基本目標 › 課題 › 施策) restart on every page so that each page's first
row names them. A hierarchy cell's text must fit the rows it spans *on that page*; the
height this adds is known as each item is placed (a run's height is max(text, its rows)),
so packing is one pass, O(rows × levels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from handlers.export.sheet_flow import SheetLayout
from handlers.export.table import ExportTable
from handlers.typesetting import (
    HALF,
    MAX_ROW_HEIGHT,
    MIN_CAP,
    PRINT_HEIGHT,
    PRINT_WIDTH,
    TEXT_INSET,
    display_width,
    pixels,
    text_height,
)

# Column widths in half-width characters: at most this much for hierarchy and item columns,
# at least this much for the comment (取組計画と達成状況), which gets all the rest.
LEVEL_CAP = 14
ITEM_CAP = 24
DEPARTMENT_CAP = 18
COMMENT_SHARE = 0.45


@dataclass(frozen=True)
class Merge:
    column: int
    first: int  # body row indexes (0-based, into table.rows)
    last: int


@dataclass(frozen=True)
class Page:
    first: int  # body row indexes
    last: int


@dataclass(frozen=True)
class HandoutLayout:
    capacities: tuple[int, ...]  # half-width characters per line, per column
    heights: tuple[float, ...]  # points, per body row
    header_height: float
    pages: tuple[Page, ...]
    merges: tuple[Merge, ...]
    oversize: tuple[int, ...] = field(default=())  # item numbers taller than a page
    # The committee's sheets written after the table (まとめ, 指標, 委員会評価), if any.
    sheets: tuple[SheetLayout, ...] = field(default=())

    @property
    def total_pages(self) -> int:
        """Printed pages of the whole workbook: the table's and every sheet's after it."""
        return len(self.pages) + sum(sheet.pages for sheet in self.sheets)


def plan_capacities(table: ExportTable, headers: tuple[str, ...]) -> tuple[int, ...]:
    """Half-width characters per line of every column; the comment column gets the rest."""
    columns = len(headers)
    text_room = int((PRINT_WIDTH - columns * TEXT_INSET) // HALF)
    natural = [display_width(h) for h in headers]
    for row in table.rows:
        for index, text in enumerate(table.cells(row)[: table.comment_column]):
            if len(text) * 2 > natural[index]:  # cheap bound before measuring
                natural[index] = max(natural[index], display_width(text))
    caps = [0] * columns
    grade_letters = [g.letter for g in table.scale.grades]
    for column in table.grade_columns:
        caps[column] = max(MIN_CAP, *(display_width(g) for g in grade_letters))
    if table.evaluation_column is not None and table.evaluation_scale is not None:
        letters = [g.letter for g in table.evaluation_scale.grades]
        caps[table.evaluation_column] = max(MIN_CAP, *(display_width(g) for g in letters))
    caps[table.department_column] = max(
        MIN_CAP + 2, min(natural[table.department_column], DEPARTMENT_CAP)
    )
    flexible = [*range(len(table.level_labels)), table.item_column]
    for column in flexible:
        limit = ITEM_CAP if column == table.item_column else LEVEL_CAP
        caps[column] = max(MIN_CAP, min(natural[column], limit))
    fixed = sum(caps)
    comment_min = math.ceil(text_room * COMMENT_SHARE)
    over = fixed + comment_min - text_room
    if over > 0:  # shrink the hierarchy and item columns evenly, never below MIN_CAP
        flex_total = sum(caps[c] - MIN_CAP for c in flexible)
        for column in flexible:
            share = (caps[column] - MIN_CAP) * over / flex_total if flex_total else 0
            caps[column] -= math.ceil(share)
    caps[table.comment_column] = text_room - sum(caps)
    return tuple(caps)


@dataclass
class _Run:
    """An open hierarchy cell on the page being filled: its key, text need and rows so far."""

    key: str
    need: float
    rows: int = 0
    closed: float = 0.0  # height of its finished children


def _fit(need: float, have: float, rows: int) -> float:
    """Height of a merged block of `rows` rows holding `have` points when its text needs `need`."""
    if need <= have:
        return have
    return have + rows * pixels((need - have) / rows)


def _height(runs: list[_Run], closed: float) -> float:
    """Page height: closed top-level runs plus the open chain, innermost first."""
    child = 0.0
    for run in reversed(runs):
        child = _fit(run.need, run.closed + child, run.rows)
    return closed + child


def layout(
    table: ExportTable,
    *,
    headers: tuple[str, ...],
    capacities: tuple[int, ...],
    first_page_top: float,
    header_air: float = 0.0,
) -> HandoutLayout:
    """Row heights, page breaks and merges of the table's body.

    `first_page_top` is the height of what stands above the table on page 1 (title,
    legend); the header row is repeated on every page.
    """
    caps = capacities
    header_height = pixels(
        max(text_height(h, c) for h, c in zip(headers, caps, strict=True)) + header_air
    )
    levels = len(table.level_labels)
    item_merged = table.item_columns
    single = [c for c in range(len(headers)) if c >= levels and c not in item_merged]
    cells = [table.cells(row) for row in table.rows]

    # Item blocks: their own rows grown so that the item and comment texts fit.
    heights: list[float] = []
    items = table.item_runs()
    item_heights: list[float] = []
    for first, last in items:
        own = [
            pixels(max(text_height(cells[i][c], caps[c]) for c in single))
            for i in range(first, last + 1)
        ]
        wanted = max(text_height(cells[first][c], caps[c]) for c in item_merged)
        extra = wanted - sum(own)
        if extra > 0:
            share = pixels(extra / len(own))
            own = [h + share for h in own]
        heights += own
        item_heights.append(sum(own))

    def level_need(level: int, row: int) -> float:
        return text_height(table.rows[row].path[level], caps[level])  # cached by text

    # Greedy packing by items.
    pages: list[tuple[int, int]] = []  # (first item, last item)
    oversize: list[int] = []
    room = PRINT_HEIGHT - header_height - first_page_top
    runs: list[_Run] = []
    closed = 0.0
    page_first = 0
    for index, (first, last) in enumerate(items):
        keys = table.rows[first].path_keys
        depth = 0  # first level where this item leaves the open runs
        while depth < len(runs) and runs[depth].key == keys[depth]:
            depth += 1
        trial = [_Run(r.key, r.need, r.rows, r.closed) for r in runs]
        trial_closed = closed
        for level in range(len(trial) - 1, depth - 1, -1):  # close the runs it leaves
            done = _fit(trial[level].need, trial[level].closed, trial[level].rows)
            if level:
                trial[level - 1].closed += done
            else:
                trial_closed += done
            trial.pop()
        for level in range(depth, levels):
            trial.append(_Run(keys[level], level_need(level, first)))
        rows = last - first + 1
        for run in trial:
            run.rows += rows
        if trial:
            trial[-1].closed += item_heights[index]
        else:
            trial_closed += item_heights[index]
        if _height(trial, trial_closed) <= room or index == page_first:
            if _height(trial, trial_closed) > room:  # alone on its page and still too tall
                oversize.append(table.rows[first].item_number)
            runs, closed = trial, trial_closed
            continue
        pages.append((page_first, index - 1))
        page_first = index
        room = PRINT_HEIGHT - header_height
        runs = [_Run(keys[level], level_need(level, first), rows) for level in range(levels)]
        if runs:
            runs[-1].closed = item_heights[index]
            closed = 0.0
        else:
            closed = item_heights[index]
        if _height(runs, closed) > room:
            oversize.append(table.rows[first].item_number)
    if items:
        pages.append((page_first, len(items) - 1))

    # Each page: hierarchy cells restart, grow their rows where their text needs it.
    merges: list[Merge] = []
    page_rows: list[Page] = []
    for first_item, last_item in pages:
        top, bottom = items[first_item][0], items[last_item][1]
        page_rows.append(Page(top, bottom))
        for level in range(levels - 1, -1, -1):
            start = top
            for row in range(top, bottom + 2):
                if row <= bottom and (
                    table.rows[row].path_keys[level] == table.rows[start].path_keys[level]
                ):
                    continue
                have = sum(heights[start:row])
                wanted = _fit(level_need(level, start), have, row - start)
                if wanted > have:
                    share = (wanted - have) / (row - start)
                    for i in range(start, row):
                        heights[i] += share
                if row - 1 > start:
                    merges.append(Merge(level, start, row - 1))
                start = row
        for a, b in items[first_item : last_item + 1]:
            if b > a:
                merges += [Merge(column, a, b) for column in item_merged]
    oversize += [
        r.item_number for r, h in zip(table.rows, heights, strict=True) if h > MAX_ROW_HEIGHT
    ]
    return HandoutLayout(
        capacities=caps,
        heights=tuple(min(h, MAX_ROW_HEIGHT) for h in heights),
        header_height=header_height,
        pages=tuple(page_rows),
        merges=tuple(merges),
        oversize=tuple(sorted(set(oversize))),
    )
