"""Turning the rows of a plan table into a tree of nodes and items, validated, in memory.

Nothing here touches the database: the whole table is checked first, so that a bad row
never leaves a half-imported plan behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from handlers.normalize import fold_key
from handlers.plan.table_import.codes import CodedTitle, plain_number, split_code
from handlers.plan.table_import.columns import Column, Layout
from handlers.plan.table_import.departments import CellNote, read_department_cell
from handlers.plan.table_import.errors import PlanImportError, column_letter, location
from handlers.plan.table_import.reader import Grid

# `(再掲)`, `（再掲）`, `【再掲】`, `再掲` in an item's title or code: the same 事業 listed again.
_REPOST = re.compile(r"[(（\[［【]?\s*再掲\s*[)）\]］】]?")
MAX_CODE = 50
MAX_DEPARTMENT = 200

Progress = Callable[[int, int], None]

NUMBERING_SOURCE = "source"
NUMBERING_SEQUENTIAL = "sequential"


@dataclass(eq=False)
class ParsedNode:
    depth: int
    code: str
    title: str
    is_priority: bool
    parent: ParsedNode | None
    position: int
    row: int
    raw_key: str  # the folded cell text, to recognise "same as above"

    @property
    def key(self) -> str:
        return fold_key(self.code) if self.code else fold_key(self.title)

    def path_key(self) -> tuple[str, ...]:
        parent = self.parent.path_key() if self.parent else ()
        return (*parent, self.key)


@dataclass(eq=False)
class ParsedItem:
    row: int
    code: str
    title: str
    is_priority: bool
    description: str
    node: ParsedNode | None
    position: int
    departments: list[str] = field(default_factory=list)
    number: int = 0
    raw_key: str = ""
    marked_repost: bool = False  # the source marks it (再掲)
    repost_of: ParsedItem | None = None  # the original it is linked to

    @property
    def repost_key(self) -> str:
        """The title without the (再掲) mark: what finds the original."""
        return fold_key(_REPOST.sub("", self.title))


@dataclass(frozen=True)
class DepartmentWarning:
    """A suspicious 担当課 cell (see handlers.plan.table_import.departments), located."""

    row: int  # spreadsheet row, 1-based
    column: int  # 0-based
    header: str
    note: CellNote

    def located(self, file: str) -> str:
        return f"{location(file, self.row, self.column, self.header)}: {self.note.describe()}"

    def to_json(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": column_letter(self.column),
            "header": self.header,
            "kind": self.note.kind,
            "text": self.note.text,
            "departments": list(self.note.names),
        }


@dataclass
class ParsedPlan:
    level_labels: list[str]
    item_label: str
    nodes: list[ParsedNode]
    items: list[ParsedItem]
    ignored_columns: list[str]
    numbering: str
    warnings: list[str] = field(default_factory=list)
    department_warnings: list[DepartmentWarning] = field(default_factory=list)

    @property
    def departments(self) -> list[str]:
        seen: dict[str, None] = {}
        for item in self.items:
            seen.update(dict.fromkeys(item.departments))
        return list(seen)


class _RowReader:
    """One data row's cells by role; merged hierarchy/item cells read as blank."""

    def __init__(self, grid: Grid, row: int) -> None:
        self.grid = grid
        self.row = row

    def text(self, col: Column | None, *, merged_is_blank: bool) -> str:
        if col is None:
            return ""
        if merged_is_blank and (self.row, col.index) in self.grid.merged:
            return ""
        return self.grid.cell(self.row, col.index).strip()


def parse_plan(
    grid: Grid, layout: Layout, *, file: str, progress: Progress | None = None
) -> ParsedPlan:
    """Walk the rows top to bottom; blank cells mean "same as above"."""
    levels = layout.levels
    path: list[ParsedNode | None] = [None] * len(levels)
    nodes: list[ParsedNode] = []
    items: list[ParsedItem] = []
    cell_warnings: list[DepartmentWarning] = []
    current: ParsedItem | None = None
    first = layout.header_row + 1
    total = len(grid.rows) - first

    def error(problem: str, row: int, col: Column | None = None) -> PlanImportError:
        return PlanImportError(
            problem,
            file=file,
            row=row + 1,
            column=col.index if col else None,
            header=col.header if col else "",
        )

    for done, r in enumerate(range(first, len(grid.rows)), start=1):
        if progress is not None:
            progress(done, total)
        cells = _RowReader(grid, r)
        level_texts = [cells.text(col, merged_is_blank=True) for col in levels]
        item_text = cells.text(layout.item, merged_is_blank=True)
        code_text = cells.text(layout.code, merged_is_blank=True)
        description = cells.text(layout.description, merged_is_blank=False)
        departments: list[tuple[str, Column]] = []
        for col in layout.departments:
            names, notes = read_department_cell(cells.text(col, merged_is_blank=False))
            departments.extend((name, col) for name in names)
            cell_warnings.extend(DepartmentWarning(r + 1, col.index, col.header, n) for n in notes)
        if not any(level_texts) and not item_text and not code_text and not departments:
            continue  # an empty row (or one with only ignored columns)

        changed = False
        for depth, (col, text) in enumerate(zip(levels, level_texts, strict=True)):
            above = path[depth]
            if not text:
                if changed:
                    path[depth] = None  # this level is absent under the new parent
                continue
            coded = split_code(text)
            if len(coded.code) > MAX_CODE:
                raise error(f"番号「{coded.code}」が長すぎます（{MAX_CODE} 文字まで）。", r, col)
            same = (
                not changed
                and above is not None
                and (
                    fold_key(text) == above.raw_key
                    or (bool(coded.code) and fold_key(coded.code) == fold_key(above.code))
                )
            )
            if same:
                continue
            parent = next((n for n in reversed(path[:depth]) if n is not None), None)
            node = ParsedNode(
                depth=depth,
                code=coded.code,
                title=coded.title,
                is_priority=coded.is_priority,
                parent=parent,
                position=len(nodes),
                row=r + 1,
                raw_key=fold_key(text),
            )
            nodes.append(node)
            path[depth] = node
            changed = True

        item_key = fold_key(f"{code_text}|{item_text}")
        repeated = (
            bool(item_text) and not changed and current is not None and current.raw_key == item_key
        )
        if item_text and not repeated:
            coded = _item_code(item_text, code_text)
            if len(coded.code) > MAX_CODE:
                raise error(
                    f"番号「{coded.code}」が長すぎます（{MAX_CODE} 文字まで）。",
                    r,
                    layout.code or layout.item,
                )
            if not coded.title:
                raise error("取組項目の名前が空です（番号だけの行です）。", r, layout.item)
            code = _REPOST.sub("", coded.code).strip()
            current = ParsedItem(
                row=r + 1,
                code=code,
                title=coded.title,
                is_priority=coded.is_priority,
                description=description,
                node=next((n for n in reversed(path) if n is not None), None),
                position=len(items),
                raw_key=item_key,
                marked_repost=bool(_REPOST.search(coded.title) or code != coded.code),
            )
            items.append(current)
        elif not item_text and not repeated:
            if code_text:
                raise error("番号だけがあり取組項目の名前が空です。", r, layout.item)
            if changed:
                if departments:
                    raise error(
                        "階層の見出しが変わった行に取組項目がありません。取組項目を入力してください。",
                        r,
                        layout.item,
                    )
                continue  # a heading row: it only sets the hierarchy for the rows below
            if current is None:
                raise error(
                    "担当課だけの行がありますが、その上に取組項目がありません。"
                    "取組項目の列を埋めるか、行を削除してください。",
                    r,
                    layout.item,
                )
            if description and description not in current.description:
                current.description = "\n".join(p for p in (current.description, description) if p)
        assert current is not None
        for name, col in departments:
            if len(name) > MAX_DEPARTMENT:
                raise error(f"担当課名が長すぎます（{MAX_DEPARTMENT} 文字まで）。", r, col)
            if name not in current.departments:
                current.departments.append(name)

    if not items:
        raise PlanImportError(
            f"取組項目の行がありません（見出しは {layout.header_row + 1} 行目）。",
            file=file,
        )
    repost_warnings = link_reposts(items, file=file)
    for item in items:
        if item.repost_of is not None and not item.departments:
            item.departments = list(item.repost_of.departments)  # (再掲) without 担当課
        if not item.departments:
            col = layout.departments[0]
            raise PlanImportError(
                f"取組項目「{item.title}」に担当課がありません。担当課を入力してください。",
                file=file,
                row=item.row,
                column=col.index,
                header=col.header,
            )
    numbering, warnings = number_items(items, item_label=layout.item.header)
    warnings += repost_warnings + [w.located(file) for w in cell_warnings]
    return ParsedPlan(
        level_labels=[col.header for col in levels],
        item_label=layout.item.header,
        nodes=nodes,
        items=items,
        ignored_columns=[str(col) for col in layout.ignored],
        numbering=numbering,
        warnings=warnings,
        department_warnings=cell_warnings,
    )


def link_reposts(items: list[ParsedItem], *, file: str) -> list[str]:
    """Link every (再掲) item to its original: same title without the mark, nearest above.

    Linked only when the repost's departments all answer the original too (else nobody
    would answer for the others); otherwise it stays an item of its own, with a warning.
    """
    warnings: list[str] = []
    originals: dict[str, list[ParsedItem]] = {}
    for item in items:
        if not item.marked_repost:
            originals.setdefault(item.repost_key, []).append(item)
    for item in items:
        if not item.marked_repost:
            continue
        candidates = originals.get(item.repost_key, [])
        before = [c for c in candidates if c.position < item.position]
        original = before[-1] if before else (candidates[0] if candidates else None)
        where = f"{file} {item.row}行目「{item.title}」"
        if original is None:
            warnings.append(
                f"{where}: 再掲元の事業が見つからないため、別の事業として回答を求めます。"
            )
            continue
        missing = [d for d in item.departments if d not in original.departments]
        if missing:
            warnings.append(
                f"{where}: 再掲元（{original.row}行目）にない担当課 {'、'.join(missing)} があるため、"
                "別の事業として回答を求めます。"
            )
            continue
        item.repost_of = original
    return warnings


def _item_code(item_text: str, code_text: str) -> CodedTitle:
    """The item's code from its own code column (Kiyose 事業) or from the title's prefix."""
    if code_text:
        code = split_code(code_text)
        star = code.is_priority or item_text.startswith(("★", "☆"))
        return CodedTitle(code.code or code.title, item_text.lstrip("★☆ "), star)
    return split_code(item_text)


def number_items(items: list[ParsedItem], *, item_label: str) -> tuple[str, list[str]]:
    """Plan-wide source numbers when every item has a unique plain integer; else 1..N.

    Numbers restarting per 施策 (①②…, Kiyose 事業 1, 2, 1 …) or repeated by mistake fall back
    to sequential numbers in plan order; the source code is kept on the item either way.
    """
    numbers = [plain_number(item.code) for item in items]
    plain = [n for n in numbers if n is not None]
    if len(plain) == len(items) and len(set(plain)) == len(plain) and all(n > 0 for n in plain):
        for item, number in zip(items, plain, strict=True):
            item.number = number
        return NUMBERING_SOURCE, []
    for number, item in enumerate(items, start=1):
        item.number = number
    warnings: list[str] = []
    if len(plain) == len(items) and _looks_like_mistake(items, plain):
        repeated = sorted({n for n in plain if plain.count(n) > 1})
        shown = "、".join(str(n) for n in repeated[:10])
        warnings.append(
            f"{item_label}の番号 {shown} が重複しているため、計画の順に 1〜{len(items)} の通し番号を付けました"
            "（元の番号はコードとして残ります）。"
        )
    return NUMBERING_SEQUENTIAL, warnings


def _looks_like_mistake(items: list[ParsedItem], numbers: list[int]) -> bool:
    """Repeated numbers that are not a per-node restart: siblings share one, or never restart."""
    never_restarts = all(b >= a for a, b in pairwise(numbers))
    seen: set[tuple[int, int]] = set()
    for item, number in zip(items, numbers, strict=True):
        key = (id(item.node), number)
        if key in seen:
            return True
        seen.add(key)
    return never_restarts
