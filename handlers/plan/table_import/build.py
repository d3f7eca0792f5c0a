"""Turning the rows of a plan table into a tree of nodes and items, validated, in memory.

Nothing here touches the database: the whole table is checked first, so that a bad row
never leaves a half-imported plan behind. Rows that are not items are recognised for what
they are (`handlers.plan.table_import.rows`): headings become hierarchy nodes above the
table's own hierarchy columns, notes, repeated headers and titles are skipped and listed,
and what cannot be placed (a header word as a department or an item) is refused with its
row and cell. Nothing is guessed silently: every reading is in the `ParsedPlan`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from handlers.i18n import Message, msg
from handlers.normalize import fold_key
from handlers.plan.table_import.codes import CodedTitle, code_shape, plain_number, split_code
from handlers.plan.table_import.columns import Column, ColumnReading, Layout, own_cells
from handlers.plan.table_import.departments import (
    COLLECTIVE,
    CellNote,
    is_collective,
    read_department_cell,
)
from handlers.plan.table_import.errors import (
    PlanImportError,
    column_letter,
    located,
    location,
    rows_location,
)
from handlers.plan.table_import.headers import is_header_word
from handlers.plan.table_import.reader import Grid
from handlers.plan.table_import.rows import (
    ROW_HEADER,
    ROW_NOTE,
    ROW_TITLE,
    ROW_UNUSED,
    Heading,
    SkippedRow,
    is_note,
    names_level,
    read_heading,
)

# `(再掲)`, `（再掲）`, `【再掲】`, `再掲` in an item's title or code: the same 事業 listed again.
_REPOST = re.compile(r"[(（\[［【]?\s*再掲\s*[)）\]］】]?")
MAX_CODE = 50
MAX_DEPARTMENT = 200
MAX_SHOWN = 80  # characters of a skipped row shown

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
    spaced: bool = True  # a space between code and title in the source
    heading: bool = False  # from a heading row (not a hierarchy column)

    @property
    def key(self) -> str:
        return fold_key(self.code) if self.code else fold_key(self.title)

    @property
    def display(self) -> str:
        mark = "★" if self.is_priority else ""
        gap = " " if self.spaced else ""
        code = f"{self.code}{mark}"
        return f"{code}{gap}{self.title}" if code and self.title else code or self.title

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
    spaced: bool = True

    @property
    def repost_key(self) -> str:
        """The title without the (再掲) mark: what finds the original."""
        return fold_key(_REPOST.sub("", self.title))

    @property
    def display(self) -> str:
        mark = "★" if self.is_priority else ""
        code = f"{self.code}{mark}"
        if not code:
            return self.title
        return f"{code}{' ' if self.spaced else ''}{self.title}"


@dataclass(frozen=True)
class DepartmentWarning:
    """A suspicious 担当課 cell (see handlers.plan.table_import.departments), located."""

    row: int  # spreadsheet row, 1-based
    column: int  # 0-based
    header: str
    note: CellNote

    def located(self, file: str) -> Message:
        return located(location(file, self.row, self.column, self.header), self.note.describe())

    def to_json(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": column_letter(self.column),
            "header": self.header,
            "kind": self.note.kind,
            "text": self.note.text,
            "departments": list(self.note.names),
        }


@dataclass(frozen=True)
class HeadingRow:
    """A row read as a heading: the node it became (its depth among all levels)."""

    row: int  # 1-based
    depth: int
    label: str
    display: str


@dataclass
class ParsedPlan:
    level_labels: list[str]
    item_label: str
    nodes: list[ParsedNode]
    items: list[ParsedItem]
    ignored_columns: list[str]
    numbering: str
    warnings: list[Message] = field(default_factory=list)
    department_warnings: list[DepartmentWarning] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    headings: list[HeadingRow] = field(default_factory=list)
    readings: list[ColumnReading] = field(default_factory=list)
    header_rows: tuple[int, ...] = ()  # 1-based

    @property
    def departments(self) -> list[str]:
        seen: dict[str, None] = {}
        for item in self.items:
            seen.update(dict.fromkeys(item.departments))
        return list(seen)

    @property
    def skipped_rows(self) -> set[int]:
        """0-based indexes of the rows that are not plan data (for the results import)."""
        return {s.row - 1 for s in self.skipped} | {h.row - 1 for h in self.headings}


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


def _shown(grid: Grid, row: int) -> str:
    """The row's own cells as written (white space collapsed), joined with ` | `."""
    text = " | ".join(" ".join(t.split()) for t in own_cells(grid, row).values())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


class _Walker:
    """The state of the walk down the rows: where in the tree the next row goes."""

    def __init__(self, grid: Grid, layout: Layout, file: str) -> None:
        self.grid = grid
        self.layout = layout
        self.file = file
        self.levels = layout.levels
        self.path: list[ParsedNode | None] = [None] * len(self.levels)
        self.kinds: list[str] = []  # heading kinds, in order of first appearance = depth
        self.labels: list[str] = []  # their labels
        self.heading_path: list[ParsedNode | None] = []
        self.nodes: list[ParsedNode] = []
        self.items: list[ParsedItem] = []
        self.cell_warnings: list[DepartmentWarning] = []
        self.skipped: list[SkippedRow] = []
        self.heading_rows: list[tuple[int, ParsedNode]] = []
        self.current: ParsedItem | None = None
        self.header_lines = layout.header_rows
        self.header_cells = {r: own_cells(grid, r) for r in self.header_lines}
        self.headers = {c.index: fold_key(c.header) for c in layout.columns if c.header}
        self.department_columns = {c.index for c in layout.departments}
        self.level_columns = {c.index: c for c in self.levels}
        self.item_shapes = self._item_shapes()

    def error(self, problem: Message, row: int, col: Column | None = None) -> PlanImportError:
        return PlanImportError(
            problem,
            file=self.file,
            row=row + 1,
            column=col.index if col else None,
            header=col.header if col else "",
        )

    def _item_shapes(self) -> set[str]:
        """The code shapes of the items' own codes (① …), to tell an item from a heading."""
        shapes: set[str] = set()
        item = self.layout.item.index
        for r in range(self.layout.header_row + 1, len(self.grid.rows)):
            own = own_cells(self.grid, r)
            if item in own and len(own) >= 2 and not is_header_word(own[item]):
                shape = code_shape(split_code(own[item]).code)
                if shape:
                    shapes.add(shape)
        return shapes

    def skip(self, row: int, kind: str) -> None:
        self.skipped.append(SkippedRow(row + 1, kind, _shown(self.grid, row)))

    # --- what a row is -----------------------------------------------------------------

    def repeated_header(self, row: int, own: dict[int, str]) -> bool:
        """The header again (a second printed block pasted below the first)?

        Its cells must stand under the same header cells; header words under other
        columns (a block pasted with its columns in another order) are refused."""
        for line in self.header_lines:
            cells = self.header_cells[line]
            matched = {
                col
                for col, text in own.items()
                if fold_key(text) in {fold_key(cells.get(col, "")), self.headers.get(col, "")}
            }
            misplaced = [
                text for col, text in own.items() if col not in matched and is_header_word(text)
            ]
            if (
                matched
                and not misplaced
                and len(matched) * 2 >= len(own)
                and (len(matched) >= 2 or len(own) == 1)
            ):
                return True
        words = [text for text in own.values() if is_header_word(text)]
        if len(words) >= 2 and len(words) * 2 >= len(own):
            raise self.error(
                msg(
                    "plan_import.rows.other_header",
                    header=self.layout.header_row + 1,
                    cells=_shown(self.grid, row),
                ),
                row,
            )
        return False

    def heading(self, own: dict[int, str]) -> Heading | None:
        """The heading of a row with one cell filled, when it is one."""
        if len(set(own.values())) != 1:
            return None
        col = min(own)
        if col in self.department_columns or (
            self.layout.description is not None and col == self.layout.description.index
        ):
            return None
        found = read_heading(own[col])
        if found is None:
            return None
        if col in self.level_columns:
            # In a hierarchy column, only a heading naming another level is one.
            return None if names_level(found, self.level_columns[col].header) else found
        if col == self.layout.item.index and not found.label:
            # `② …` alone in the item column is an item like its neighbours, not a heading.
            return None if found.kind.removeprefix("code:") in self.item_shapes else found
        return found

    # --- building ----------------------------------------------------------------------

    def add_heading(self, heading: Heading, row: int) -> None:
        if heading.kind not in self.kinds:
            self.kinds.append(heading.kind)
            self.labels.append(heading.label)
            self.heading_path.append(None)
        depth = self.kinds.index(heading.kind)
        parent = next((n for n in reversed(self.heading_path[:depth]) if n is not None), None)
        node = ParsedNode(
            depth=depth,
            code=heading.code,
            title=heading.title,
            is_priority=heading.is_priority,
            parent=parent,
            position=len(self.nodes),
            row=row + 1,
            raw_key="",
            spaced=heading.spaced,
            heading=True,
        )
        self.nodes.append(node)
        self.heading_path[depth] = node
        for deeper in range(depth + 1, len(self.heading_path)):
            self.heading_path[deeper] = None
        self.path = [None] * len(self.levels)  # the table's own levels start afresh
        self.current = None
        self.heading_rows.append((row + 1, node))

    def deepest_heading(self) -> ParsedNode | None:
        return next((n for n in reversed(self.heading_path) if n is not None), None)

    def data_row(self, r: int) -> None:
        layout = self.layout
        cells = _RowReader(self.grid, r)
        level_texts = [cells.text(col, merged_is_blank=True) for col in self.levels]
        item_text = cells.text(layout.item, merged_is_blank=True)
        code_text = cells.text(layout.code, merged_is_blank=True)
        description = cells.text(layout.description, merged_is_blank=False)
        departments: list[tuple[str, Column]] = []
        for col in layout.departments:
            text = cells.text(col, merged_is_blank=False)
            names, notes = read_department_cell(text)
            for name in names:
                if is_header_word(name, fragments=False) and not is_collective(name):
                    raise self.error(
                        msg("plan_import.rows.header_as_department", name=name), r, col
                    )
            departments.extend((name, col) for name in names)
            self.cell_warnings.extend(
                DepartmentWarning(r + 1, col.index, col.header, n) for n in notes
            )
        if not any(level_texts) and not item_text and not code_text and not departments:
            if description and self.current is not None:
                self._describe(description)
            elif own_cells(self.grid, r):
                self.skip(r, ROW_UNUSED)
            return  # an empty row

        changed = False
        for depth, (col, text) in enumerate(zip(self.levels, level_texts, strict=True)):
            above = self.path[depth]
            if not text:
                if changed:
                    self.path[depth] = None  # this level is absent under the new parent
                continue
            coded = split_code(text)
            if len(coded.code) > MAX_CODE:
                raise self.error(msg("plan_import.rows.code_too_long", code=coded.code), r, col)
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
            parent = next(
                (n for n in reversed(self.path[:depth]) if n is not None), self.deepest_heading()
            )
            node = ParsedNode(
                depth=depth,
                code=coded.code,
                title=coded.title,
                is_priority=coded.is_priority,
                parent=parent,
                position=len(self.nodes),
                row=r + 1,
                raw_key=fold_key(text),
                spaced=coded.spaced,
            )
            self.nodes.append(node)
            self.path[depth] = node
            changed = True

        current = self.current
        item_key = fold_key(f"{code_text}|{item_text}")
        repeated = (
            bool(item_text) and not changed and current is not None and current.raw_key == item_key
        )
        if item_text and not repeated:
            coded = _item_code(item_text, code_text)
            if len(coded.code) > MAX_CODE:
                raise self.error(
                    msg("plan_import.rows.code_too_long", code=coded.code),
                    r,
                    layout.code or layout.item,
                )
            if not coded.title:
                raise self.error(msg("plan_import.rows.item_code_only"), r, layout.item)
            if is_header_word(coded.title, fragments=False) and not coded.code:
                raise self.error(
                    msg("plan_import.rows.header_as_item", title=coded.title), r, layout.item
                )
            code = _REPOST.sub("", coded.code).strip()
            current = ParsedItem(
                row=r + 1,
                code=code,
                title=coded.title,
                is_priority=coded.is_priority,
                description=description,
                node=next((n for n in reversed(self.path) if n is not None), None)
                or self.deepest_heading(),
                position=len(self.items),
                raw_key=item_key,
                marked_repost=bool(_REPOST.search(coded.title) or code != coded.code),
                spaced=coded.spaced,
            )
            self.items.append(current)
            self.current = current
        elif not item_text and not repeated:
            if code_text:
                raise self.error(msg("plan_import.rows.code_without_item"), r, layout.item)
            if changed:
                if departments:
                    raise self.error(
                        msg("plan_import.rows.heading_with_department"), r, layout.item
                    )
                self.current = None
                return  # a heading row: it only sets the hierarchy for the rows below
            if current is None:
                raise self.error(msg("plan_import.rows.department_first"), r, layout.item)
            if description:
                self._describe(description)
        assert current is not None
        for name, col in departments:
            if len(name) > MAX_DEPARTMENT:
                raise self.error(
                    msg("plan_import.rows.department_too_long", limit=MAX_DEPARTMENT), r, col
                )
            if name not in current.departments:
                current.departments.append(name)

    def _describe(self, description: str) -> None:
        current = self.current
        if current is not None and description not in current.description:
            current.description = "\n".join(p for p in (current.description, description) if p)

    def walk(self, progress: Progress | None) -> None:
        first_header = self.header_lines[0]
        for r in range(first_header):
            own = own_cells(self.grid, r)
            if not own:
                continue
            values = set(own.values())
            heading = read_heading(next(iter(values))) if len(values) == 1 else None
            if heading is not None and not is_note(next(iter(values))):
                self.add_heading(heading, r)
            else:
                self.skip(r, ROW_TITLE)
        first = self.layout.header_row + 1
        total = len(self.grid.rows) - first
        for done, r in enumerate(range(first, len(self.grid.rows)), start=1):
            if progress is not None:
                progress(done, total)
            own = own_cells(self.grid, r)
            if own:
                if self.repeated_header(r, own):
                    self.skip(r, ROW_HEADER)
                    continue
                values = set(own.values())
                if len(values) == 1 and is_note(next(iter(values))):
                    self.skip(r, ROW_NOTE)
                    continue
                heading = self.heading(own)
                if heading is not None:
                    self.add_heading(heading, r)
                    continue
            self.data_row(r)

    def finish(self) -> tuple[list[str], list[HeadingRow], list[Message]]:
        """Final depths (headings above the table's columns) and labels; empty headings."""
        above = len(self.kinds)
        for node in self.nodes:
            if not node.heading:
                node.depth += above
        labels = [label or f"階層{depth + 1}" for depth, label in enumerate(self.labels)]
        labels += [col.header for col in self.levels]
        owners = {id(item.node) for item in self.items}
        parents = {id(n.parent) for n in self.nodes if n.parent is not None}
        empty = [
            msg(
                "plan_import.heading.empty",
                where=location(self.file, row),
                heading=node.display,
            )
            for row, node in self.heading_rows
            if id(node) not in owners and id(node) not in parents
        ]
        headings = [
            HeadingRow(row=row, depth=node.depth, label=labels[node.depth], display=node.display)
            for row, node in self.heading_rows
        ]
        return labels, headings, empty


def parse_plan(
    grid: Grid, layout: Layout, *, file: str, progress: Progress | None = None
) -> ParsedPlan:
    """Walk the rows top to bottom; blank cells mean "same as above"."""
    walker = _Walker(grid, layout, file)
    walker.walk(progress)
    items = walker.items
    if not items:
        raise PlanImportError(
            msg("plan_import.rows.no_items", header=layout.header_row + 1), file=file
        )
    repost_warnings = link_reposts(items, file=file)
    for item in items:
        if item.repost_of is not None and not item.departments:
            item.departments = list(item.repost_of.departments)  # (再掲) without 担当課
        if not item.departments:
            col = layout.departments[0]
            raise PlanImportError(
                msg("plan_import.rows.item_without_department", title=item.title),
                file=file,
                row=item.row,
                column=col.index,
                header=col.header,
            )
    labels, headings, empty = walker.finish()
    numbering, warnings = number_items(items, item_label=layout.item.header)
    warnings += repost_warnings + department_messages(walker.cell_warnings, file=file) + empty
    return ParsedPlan(
        level_labels=labels,
        item_label=layout.item.header,
        nodes=walker.nodes,
        items=items,
        ignored_columns=[str(col) for col in layout.ignored],
        numbering=numbering,
        warnings=warnings,
        department_warnings=walker.cell_warnings,
        skipped=walker.skipped,
        headings=headings,
        readings=_with_depths(layout.readings, len(walker.kinds)),
        header_rows=tuple(r + 1 for r in layout.header_rows),
    )


def _with_depths(readings: list[ColumnReading], above: int) -> list[ColumnReading]:
    """Level columns' depth among all levels (heading levels come first)."""
    return [
        ColumnReading(c.index, c.header, c.role, c.reason, c.level + above)
        if c.level is not None
        else c
        for c in readings
    ]


def department_messages(warnings: list[DepartmentWarning], *, file: str) -> list[Message]:
    """One message per suspicious cell; a collective name once, with all its rows."""
    order: list[DepartmentWarning | str] = []  # a cell's warning, or a collective name
    collective: dict[str, list[DepartmentWarning]] = {}
    for warning in warnings:
        if warning.note.kind != COLLECTIVE:
            order.append(warning)
            continue
        name = warning.note.names[0]
        if name not in collective:
            collective[name] = []
            order.append(name)
        collective[name].append(warning)
    messages: list[Message] = []
    for entry in order:
        if isinstance(entry, DepartmentWarning):
            messages.append(entry.located(file))
            continue
        group = collective[entry]
        rows = tuple(dict.fromkeys(w.row for w in group))
        columns = {(w.column, w.header) for w in group}
        if len(columns) == 1:
            [(column, header)] = columns
            where = rows_location(file, rows, column, header)
        else:
            where = rows_location(file, rows)
        messages.append(located(where, group[0].note.describe()))
    return messages


def link_reposts(items: list[ParsedItem], *, file: str) -> list[Message]:
    """Link every (再掲) item to its original: same title without the mark, nearest above.

    Linked only when the repost's departments all answer the original too (else nobody
    would answer for the others); otherwise it stays an item of its own, with a warning.
    """
    warnings: list[Message] = []
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
        where = msg("plan_import.at.item", where=location(file, item.row), title=item.title)
        if original is None:
            warnings.append(located(where, msg("plan_import.repost.no_original")))
            continue
        missing = tuple(d for d in item.departments if d not in original.departments)
        if missing:
            warnings.append(
                located(
                    where,
                    msg("plan_import.repost.other_departments", row=original.row, names=missing),
                )
            )
            continue
        item.repost_of = original
    return warnings


def _item_code(item_text: str, code_text: str) -> CodedTitle:
    """The item's code from its own code column (Kiyose 事業) or from the title's prefix."""
    if code_text:
        code = split_code(code_text)
        star = code.is_priority or item_text.startswith(("★", "☆"))
        return CodedTitle(code.code or code.title, item_text.lstrip("★☆ "), star, True)
    return split_code(item_text)


def number_items(items: list[ParsedItem], *, item_label: str) -> tuple[str, list[Message]]:
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
    warnings: list[Message] = []
    if len(plain) == len(items) and _looks_like_mistake(items, plain):
        repeated = sorted({n for n in plain if plain.count(n) > 1})
        warnings.append(
            msg(
                "plan_import.numbers.repeated",
                label=item_label,
                numbers=tuple(str(n) for n in repeated[:10]),
                last=len(items),
            )
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
