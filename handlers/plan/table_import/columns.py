"""Which column is what: the header row (one line or two), each column's role, and why.

The header names the roles (取組項目/事業名称/事業名/事業/item, 担当課/主管課/所管/担当/
department, 内容/事業内容/取組内容/description; see `headers`). Columns left of the item column
are the hierarchy levels, their header texts the level labels, except a code column: one
headed 番号/No./事業コード …, or one that holds a different number on every item (11111,
1-2-3), which numbers the items instead of adding a level of blank titles. Everything else is
ignored. Every choice is recorded as a `ColumnReading` (which column became what, and why),
printed by the import and the preview: the import never guesses silently.

A header may take two lines, as printed tables often have: merged cells across both lines
(基本目標, 担当課), and a group above its columns (事業 over 事業コード / 事業名). The two
lines are read as one header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.i18n import Message, msg
from handlers.normalize import fold, fold_key
from handlers.plan.table_import.errors import PlanImportError, column_letter
from handlers.plan.table_import.headers import (
    CODE_HEADERS,
    DEPARTMENT_FRAGMENTS,
    DEPARTMENT_HEADERS,
    DESCRIPTION_HEADERS,
    ITEM_HEADERS,
    header_key,
    is_header_word,
)
from handlers.plan.table_import.reader import Grid

HEADER_SEARCH_ROWS = 20
_LETTERS = re.compile(r"^[A-Z]{1,3}$")
# A code as offices number their 事業: 11111, 4-1-2, 1.2.3 (after NFKC folding).
_CODE = re.compile(r"^[0-9]+(?:[-‐‑–ー―.][0-9]+)*$")
MIN_CODED_ITEMS = 2

ROLE_LEVEL = "level"
ROLE_ITEM = "item"
ROLE_DEPARTMENT = "department"
ROLE_CODE = "code"
ROLE_DESCRIPTION = "description"
ROLE_IGNORED = "ignored"


@dataclass(frozen=True)
class ColumnOverrides:
    """What the user said on the command line; wins over every guess."""

    item: str | None = None
    departments: tuple[str, ...] = ()
    description: str | None = None
    code: str | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class Column:
    index: int
    header: str

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    def __str__(self) -> str:
        return f"{self.letter}:{self.header}" if self.header else self.letter


@dataclass(frozen=True)
class ColumnReading:
    """How one column was read: its role (level/item/department/code/description/ignored),
    the hierarchy depth of a level column among the column levels, and why."""

    index: int
    header: str
    role: str
    reason: Message
    level: int | None = None

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class Layout:
    """Where the header is and which column plays which role (plus `readings`: why)."""

    header_row: int  # 0-based index into Grid.rows: the header's last line
    item: Column
    departments: list[Column]
    levels: list[Column] = field(default_factory=list)
    code: Column | None = None
    description: Column | None = None
    ignored: list[Column] = field(default_factory=list)
    header_first: int | None = None  # the header's first line when it takes two; else None
    readings: list[ColumnReading] = field(default_factory=list)
    all_columns: list[Column] = field(default_factory=list)  # every column of the header

    @property
    def header_rows(self) -> tuple[int, ...]:
        """The header's lines, 0-based."""
        first = self.header_row if self.header_first is None else self.header_first
        return tuple(range(first, self.header_row + 1))

    @property
    def columns(self) -> list[Column]:
        """Every column with a role, in table order."""
        found = [
            self.item,
            *self.departments,
            *self.levels,
            *([self.code] if self.code else []),
            *([self.description] if self.description else []),
        ]
        return sorted(found, key=lambda c: c.index)


def own_cells(grid: Grid, row: int) -> dict[int, str]:
    """The row's filled cells that are its own: not a merged range's copy of another cell."""
    return {
        col: text
        for col, text in enumerate(grid.rows[row])
        if text and (row, col) not in grid.merged
    }


def _spans_rows(grid: Grid, top: int, below: int) -> bool:
    return any(r0 <= top and r1 >= below for r0, _c0, r1, _c1 in grid.ranges)


def _is_continuation(grid: Grid, top: int, below: int) -> bool:
    """Is `below` the second line of a header whose first line is `top`?

    Yes when it holds only header words and adds names under a group or a blank (or merged
    cells join the two lines); a data row never consists of header words only.
    """
    if below >= len(grid.rows):
        return False
    own = own_cells(grid, below)
    if not own:
        return False
    if not all(is_header_word(text) for text in own.values()):
        return False
    top_own = own_cells(grid, top)
    adds = any(col not in top_own for col in own)  # a name under a blank or a merged group
    return len(own) >= 2 or adds or _spans_rows(grid, top, below)


def _is_group_row(grid: Grid, above: int, header: int) -> bool:
    """Is `above` a line naming groups of the header's columns (or merged down into it)?

    Every text of it must stand over a blank header cell (a cell merged down, as CSV saves
    it), over its own copy (merged down, as XLSX reads), or span several header columns.
    A title line (one text) never qualifies.
    """
    if above < 0:
        return False
    own = own_cells(grid, above)
    if len(set(own.values())) < 2:
        return False
    header_own = own_cells(grid, header)
    width = max(len(grid.rows[above]), len(grid.rows[header]))
    for col, text in own.items():
        under = grid.cell(header, col)
        if not under or under == text:
            continue
        span = next(
            (c1 - c0 for r0, c0, r1, c1 in grid.ranges if (r0, c0) == (above, col) and r1 == above),
            0,
        )
        if span == 0:  # CSV: a group is written once, over blanks to its right
            right = col + 1
            while right < width and not grid.cell(above, right) and right in header_own:
                right += 1
            span = right - col - 1
        if span < 1:
            return False
    return True


def _combined(grid: Grid, first: int, last: int) -> list[Column]:
    """One header from two lines: the lower line's own text, else the upper line's."""
    width = max(len(grid.rows[first]), len(grid.rows[last]))
    columns: list[Column] = []
    for col in range(width):
        lower = grid.cell(last, col) if (last, col) not in grid.merged else ""
        text = lower or grid.cell(first, col) or grid.cell(last, col)
        columns.append(Column(col, fold(text)))
    return columns


def _headers(grid: Grid, first: int, last: int) -> list[Column]:
    if first == last:
        return [Column(i, fold(text)) for i, text in enumerate(grid.rows[last])]
    return _combined(grid, first, last)


def column_by_spec(columns: list[Column], spec: str, *, file: str, row: int, option: str) -> Column:
    """A column named by header text (exactly, else by its word without a year label), by
    letter (`C`) or by 1-based number (`3`); `row` is the 0-based header row, for errors."""
    key = fold_key(spec)
    for col in columns:
        if fold_key(col.header) == key:
            return col
    for col in columns:
        if col.header and header_key(col.header) == header_key(spec):
            return col
    index: int | None = None
    if _LETTERS.match(key):
        index = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(key))) - 1
    elif key.isdigit() and int(key) > 0:
        index = int(key) - 1
    if index is not None and index < len(columns):
        return columns[index]
    raise PlanImportError(
        msg("plan_import.columns.no_such", option=option, spec=spec, seen=_seen(columns)),
        file=file,
        row=row + 1,
    )


def _seen(columns: list[Column]) -> Message:
    shown = tuple(str(c) for c in columns if c.header)
    return msg("plan_import.columns.seen", columns=shown) if shown else msg("plan_import.none")


def _guess_item(columns: list[Column]) -> Column | None:
    keys = [header_key(col.header) for col in columns]
    for name in ITEM_HEADERS:
        for col, key in zip(columns, keys, strict=True):
            if key == name:
                return col
    return None


def _band(grid: Grid, row: int) -> tuple[int, int]:
    """The header's lines around `row`, the line that named the item column."""
    if _is_continuation(grid, row, row + 1):
        return row, row + 1
    if _is_group_row(grid, row - 1, row):
        return row - 1, row
    return row, row


def _find_header(grid: Grid, overrides: ColumnOverrides, file: str) -> tuple[int, int, Column]:
    first_filled: int | None = None
    for row in range(min(HEADER_SEARCH_ROWS, len(grid.rows))):
        if not any(grid.rows[row]):
            continue
        if first_filled is None:
            first_filled = row
        if overrides.item is not None:
            if row == first_filled:
                first, last = _band(grid, row)
                return (
                    first,
                    last,
                    column_by_spec(
                        _headers(grid, first, last),
                        overrides.item,
                        file=file,
                        row=last,
                        option="--item-column",
                    ),
                )
            continue
        if _guess_item(_headers(grid, row, row)) is None:
            continue
        first, last = _band(grid, row)
        item = _guess_item(_headers(grid, first, last))
        if item is not None:
            return first, last, item
    row = first_filled or 0
    raise PlanImportError(
        msg("plan_import.columns.no_item", seen=_seen(_headers(grid, row, row))),
        file=file,
        row=row + 1,
    )


# 担当課評価, 所管課の取組状況: a department's grade or comment, not the department.
_NOT_DEPARTMENT_ENDINGS = ("評価", "達成度", "コメント", "状況", "実績", "内容", "意見")


def _is_department_header(header: str) -> bool:
    key = header_key(header)
    if key.endswith(_NOT_DEPARTMENT_ENDINGS):
        return False
    return key in DEPARTMENT_HEADERS or any(frag in key for frag in DEPARTMENT_FRAGMENTS)


def _code_by_content(
    grid: Grid, candidates: list[Column], item: Column, first_data: int
) -> tuple[Column, list[str]] | None:
    """The column nearest the item column holding a different code on every item row."""
    item_rows = [
        r
        for r in range(first_data, len(grid.rows))
        if (r, item.index) not in grid.merged
        and grid.cell(r, item.index)
        and not is_header_word(grid.cell(r, item.index))
    ]
    if len(item_rows) < MIN_CODED_ITEMS:
        return None
    for col in sorted(candidates, key=lambda c: -c.index):
        values = [fold(grid.cell(r, col.index)) for r in item_rows]
        if all(_CODE.match(v) for v in values) and len(set(values)) == len(values):
            return col, values
    return None


def detect_layout(grid: Grid, overrides: ColumnOverrides, *, file: str) -> Layout:
    """Find the header (one line or two) and the role of every column, with the reasons."""
    header_first, header_row, item = _find_header(grid, overrides, file)
    columns = _headers(grid, header_first, header_row)
    readings: dict[int, ColumnReading] = {}

    def read(col: Column, role: str, reason: Message) -> None:
        readings[col.index] = ColumnReading(col.index, col.header, role, reason)

    def because(option: str | None, col: Column) -> Message:
        if option is not None:
            return msg("plan_import.reason.option", option=option)
        return msg("plan_import.reason.header", header=col.header)

    def spec(value: str, option: str) -> Column:
        return column_by_spec(columns, value, file=file, row=header_row, option=option)

    read(item, ROLE_ITEM, because("--item-column" if overrides.item else None, item))
    if overrides.departments:
        departments = [spec(v, "--department-column") for v in overrides.departments]
    else:
        departments = [
            c for c in columns if c != item and c.header and _is_department_header(c.header)
        ]
    if not departments:
        raise PlanImportError(
            msg("plan_import.columns.no_department", seen=_seen(columns)),
            file=file,
            row=header_row + 1,
        )
    if item in departments:
        raise PlanImportError(
            msg("plan_import.columns.item_is_department", column=str(item)),
            file=file,
            row=header_row + 1,
        )
    for col in departments:
        read(
            col,
            ROLE_DEPARTMENT,
            because("--department-column" if overrides.departments else None, col),
        )
    taken = {item.index, *(d.index for d in departments)}
    if not overrides.departments:
        # 担当課 merged over several columns, saved as CSV: the header is written once, the
        # columns to its right have a blank header but hold departments too.
        for col in list(departments):
            right = col.index + 1
            while (
                right < len(columns)
                and right not in taken
                and not columns[right].header
                and any(grid.cell(r, right) for r in range(header_row + 1, len(grid.rows)))
            ):
                departments.append(columns[right])
                taken.add(right)
                read(
                    columns[right],
                    ROLE_DEPARTMENT,
                    msg("plan_import.reason.merged_department", header=col.header),
                )
                right += 1
        departments.sort(key=lambda c: c.index)

    description: Column | None = None
    if overrides.description is not None:
        description = spec(overrides.description, "--description-column")
    else:
        for name in DESCRIPTION_HEADERS:
            description = next(
                (c for c in columns if header_key(c.header) == name and c.index not in taken),
                None,
            )
            if description is not None:
                break
    if description is not None:
        taken.add(description.index)
        read(
            description,
            ROLE_DESCRIPTION,
            because("--description-column" if overrides.description else None, description),
        )

    data_rows = range(header_row + 1, len(grid.rows))
    left = [c for c in columns[: item.index] if c.index not in taken]
    code: Column | None = None
    if overrides.code is not None:
        code = spec(overrides.code, "--code-column")
        read(code, ROLE_CODE, because("--code-column", code))
    else:
        for name in CODE_HEADERS:
            code = next((c for c in reversed(left) if header_key(c.header) == name), None)
            if code is not None:
                read(code, ROLE_CODE, because(None, code))
                break
        if code is None:
            found = _code_by_content(grid, left, item, header_row + 1)
            if found is not None:
                code, values = found
                read(
                    code,
                    ROLE_CODE,
                    msg("plan_import.reason.codes", examples=tuple(values[:3])),
                )
    if code is not None:
        taken.add(code.index)

    levels: list[Column] = []
    ignored: list[Column] = []
    for col in columns:
        if col.index in taken:
            continue
        has_values = any(grid.cell(r, col.index) for r in data_rows)
        if col.index < item.index:
            if has_values or col.header:
                level = col if col.header else Column(col.index, f"{col.letter}列")
                levels.append(level)
                readings[col.index] = ColumnReading(
                    col.index,
                    level.header,
                    ROLE_LEVEL,
                    msg("plan_import.reason.left_of_item"),
                    level=len(levels) - 1,
                )
        elif col.header or has_values:
            ignored.append(col)
            read(col, ROLE_IGNORED, msg("plan_import.reason.unused"))
    return Layout(
        header_row=header_row,
        item=item,
        departments=departments,
        levels=levels,
        code=code,
        description=description,
        ignored=ignored,
        header_first=header_first if header_first != header_row else None,
        readings=[readings[i] for i in sorted(readings)],
        all_columns=columns,
    )
