"""Which column is what: header role detection, overridable by the user.

The header row names the roles (取組項目/事業名称/事業名/事業/item, 担当課/主管課/所管/担当/
department, 内容/事業内容/取組内容/description). Columns left of the item column are the hierarchy levels, their
header texts become the level labels. Everything else is ignored and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.normalize import fold, fold_key
from handlers.plan.table_import.errors import PlanImportError, column_letter
from handlers.plan.table_import.reader import Grid

# Highest priority first: with both 事業名 and 事業, 事業名 is the title (Kiyose).
ITEM_HEADERS = [
    "取組項目",
    "事業名称",
    "事業名",
    "具体的な取組",
    "具体的取組",
    "主な取組",
    "取組",
    "事業",
    "ITEM",
    "ITEMS",
]
DEPARTMENT_HEADERS = [
    "担当課",
    "主管課",
    "所管",
    "担当",
    "所管課",
    "担当部署",
    "担当課名",
    "所管課名",
    "関係課",
    "DEPARTMENT",
    "DEPARTMENTS",
    "DEPT",
]
DEPARTMENT_FRAGMENTS = ["担当課", "所管", "担当部", "主管"]
DESCRIPTION_HEADERS = ["内容", "事業内容", "取組内容", "事業概要", "概要", "DESCRIPTION"]
# A numeric code column left of the item column (事業 next to 事業名 in Kiyose).
CODE_HEADERS = ["番号", "NO", "NO.", "項番", "事業番号", "CODE", "事業"]

HEADER_SEARCH_ROWS = 20
_LETTERS = re.compile(r"^[A-Z]{1,3}$")


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


@dataclass
class Layout:
    header_row: int  # 0-based index into Grid.rows
    item: Column
    departments: list[Column]
    levels: list[Column] = field(default_factory=list)
    code: Column | None = None
    description: Column | None = None
    ignored: list[Column] = field(default_factory=list)


def _headers(grid: Grid, row: int) -> list[Column]:
    return [Column(i, fold(text)) for i, text in enumerate(grid.rows[row])]


def _by_spec(columns: list[Column], spec: str, *, file: str, row: int, option: str) -> Column:
    """A column named by header text, by letter (`C`) or by 1-based number (`3`)."""
    key = fold_key(spec)
    for col in columns:
        if fold_key(col.header) == key:
            return col
    index: int | None = None
    if _LETTERS.match(key):
        index = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(key))) - 1
    elif key.isdigit() and int(key) > 0:
        index = int(key) - 1
    if index is not None and index < len(columns):
        return columns[index]
    seen = "、".join(str(c) for c in columns if c.header) or "（なし）"
    raise PlanImportError(
        f"{option} {spec} に当たる列がありません。見出し: {seen}", file=file, row=row + 1
    )


def _guess_item(columns: list[Column]) -> Column | None:
    for name in ITEM_HEADERS:
        for col in columns:
            if fold_key(col.header) == name:
                return col
    return None


def _find_header_row(grid: Grid, overrides: ColumnOverrides, file: str) -> tuple[int, Column]:
    first_filled: int | None = None
    for row in range(min(HEADER_SEARCH_ROWS, len(grid.rows))):
        if not any(grid.rows[row]):
            continue
        if first_filled is None:
            first_filled = row
        columns = _headers(grid, row)
        if overrides.item is not None:
            if row == first_filled:
                return row, _by_spec(
                    columns, overrides.item, file=file, row=row, option="--item-column"
                )
            continue
        item = _guess_item(columns)
        if item is not None:
            return row, item
    row = first_filled or 0
    seen = "、".join(str(c) for c in _headers(grid, row) if c.header) or "（なし）"
    raise PlanImportError(
        "取組項目の列が見つかりません（見出しに 取組項目・事業名・事業・item のどれかが必要です）。"
        f"見出し: {seen}。--item-column で列を指定できます。",
        file=file,
        row=row + 1,
    )


def detect_layout(grid: Grid, overrides: ColumnOverrides, *, file: str) -> Layout:
    """Find the header row and the role of every column."""
    header_row, item = _find_header_row(grid, overrides, file)
    columns = _headers(grid, header_row)
    keys = [fold_key(c.header) for c in columns]

    def spec(value: str, option: str) -> Column:
        return _by_spec(columns, value, file=file, row=header_row, option=option)

    if overrides.departments:
        departments = [spec(v, "--department-column") for v in overrides.departments]
    else:
        departments = [
            c
            for c, k in zip(columns, keys, strict=True)
            if c != item
            and (k in DEPARTMENT_HEADERS or any(frag in k for frag in DEPARTMENT_FRAGMENTS))
        ]
    if not departments:
        seen = "、".join(str(c) for c in columns if c.header)
        raise PlanImportError(
            "担当課の列が見つかりません（見出しに 担当課・所管・担当・department のどれかが必要です）。"
            f"見出し: {seen}。--department-column で列を指定できます。",
            file=file,
            row=header_row + 1,
        )
    if item in departments:
        raise PlanImportError(
            f"{item} が取組項目と担当課の両方に指定されています。",
            file=file,
            row=header_row + 1,
        )
    taken = {item.index, *(d.index for d in departments)}

    description: Column | None = None
    if overrides.description is not None:
        description = spec(overrides.description, "--description-column")
    else:
        for name in DESCRIPTION_HEADERS:
            description = next(
                (
                    c
                    for c, k in zip(columns, keys, strict=True)
                    if k == name and c.index not in taken
                ),
                None,
            )
            if description is not None:
                break
    if description is not None:
        taken.add(description.index)

    code: Column | None = None
    if overrides.code is not None:
        code = spec(overrides.code, "--code-column")
    else:
        left = [c for c in columns[: item.index] if c.index not in taken]
        for name in CODE_HEADERS:
            code = next((c for c in reversed(left) if fold_key(c.header) == name), None)
            if code is not None:
                break
    if code is not None:
        taken.add(code.index)

    data_rows = range(header_row + 1, len(grid.rows))
    levels: list[Column] = []
    ignored: list[Column] = []
    for col in columns:
        if col.index in taken:
            continue
        has_values = any(grid.cell(r, col.index) for r in data_rows)
        if col.index < item.index:
            if has_values or col.header:
                levels.append(col if col.header else Column(col.index, f"{col.letter}列"))
        elif col.header or has_values:
            ignored.append(col)
    return Layout(
        header_row=header_row,
        item=item,
        departments=departments,
        levels=levels,
        code=code,
        description=description,
        ignored=ignored,
    )
