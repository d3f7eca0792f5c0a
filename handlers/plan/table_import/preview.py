"""What an import would store, before anything is stored: `hokoku plan import --dry-run`
shows this `PlanPreview`. (The web console's upload preview, bot/web/plan_preview.py, runs
the importer itself in a transaction it rolls back instead: it also shows what updating a
plan with rounds would add and remove, which this preview does not compute.)

The preview is data and messages, no layout: the tree (levels with their labels), every item
with its number and departments, how each column was read, the rows read as headings, every
skipped row and every warning. `handlers.plan.table_import.preview_text` writes it as lines
for the CLI; the web console lays out the same data. Reading only: the session is used to tell
new departments from known ones and whether the plan exists, never to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.i18n import Message, msg
from handlers.normalize import fold_key
from handlers.organization.directory import department_names
from handlers.plan.table_import.build import (
    DepartmentWarning,
    HeadingRow,
    ParsedItem,
    ParsedNode,
    ParsedPlan,
)
from handlers.plan.table_import.columns import ColumnOverrides, ColumnReading
from handlers.plan.table_import.importer import read_table
from handlers.plan.table_import.rows import SkippedRow
from handlers.plan.table_import.store import (
    MODE_CREATED,
    MODE_REPLACED,
    MODE_UPDATED,
    find_plan_by_name,
)
from models import Round


@dataclass(frozen=True)
class PreviewItem:
    number: int  # what people will type in chat
    display: str  # code★ title as the source wrote it
    departments: tuple[str, ...]
    row: int  # 1-based row of the table
    is_priority: bool = False
    repost_of: int | None = None  # (再掲): the original's number, answered there


@dataclass(frozen=True)
class PreviewNode:
    depth: int
    label: str  # the level's label (基本目標, 施策 …)
    display: str
    row: int
    heading: bool  # read from a heading row (not from a hierarchy column)
    children: tuple[PreviewNode, ...] = ()
    items: tuple[PreviewItem, ...] = ()


@dataclass(frozen=True)
class PreviewDepartment:
    name: str
    items: int  # items it answers
    known: bool  # already registered (by its current or a former name)


@dataclass(frozen=True)
class PlanPreview:
    file: str
    name: str  # the plan name it would be stored under
    sheet: str  # XLSX: the sheet read
    encoding: str
    mode: str  # what storing would do: created / replaced / updated (MODE_*)
    plan_id: int | None  # the plan it would replace or update
    header_rows: tuple[int, ...]  # 1-based
    columns: tuple[ColumnReading, ...]
    level_labels: tuple[str, ...]
    item_label: str
    numbering: str  # source / sequential
    roots: tuple[PreviewNode, ...]
    loose_items: tuple[PreviewItem, ...]  # items outside any hierarchy node
    departments: tuple[PreviewDepartment, ...]
    assignments: int
    reposts: int
    headings: tuple[HeadingRow, ...]
    skipped: tuple[SkippedRow, ...]
    warnings: tuple[Message, ...]
    department_warnings: tuple[DepartmentWarning, ...]

    @property
    def items(self) -> int:
        def count(node: PreviewNode) -> int:
            return len(node.items) + sum(count(child) for child in node.children)

        return len(self.loose_items) + sum(count(node) for node in self.roots)

    @property
    def new_departments(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.departments if not d.known)


def _tree(parsed: ParsedPlan) -> tuple[tuple[PreviewNode, ...], tuple[PreviewItem, ...]]:
    numbers = {id(item): item.number for item in parsed.items}

    def preview_item(item: ParsedItem) -> PreviewItem:
        return PreviewItem(
            number=item.number,
            display=item.display,
            departments=tuple(item.departments),
            row=item.row,
            is_priority=item.is_priority,
            repost_of=numbers[id(item.repost_of)] if item.repost_of is not None else None,
        )

    children: dict[int, list[ParsedNode]] = {}
    for node in parsed.nodes:
        children.setdefault(id(node.parent), []).append(node)
    owned: dict[int, list[ParsedItem]] = {}
    for item in parsed.items:
        owned.setdefault(id(item.node), []).append(item)
    labels = parsed.level_labels

    def preview_node(node: ParsedNode) -> PreviewNode:
        return PreviewNode(
            depth=node.depth,
            label=labels[node.depth] if node.depth < len(labels) else "",
            display=node.display,
            row=node.row,
            heading=node.heading,
            children=tuple(preview_node(child) for child in children.get(id(node), [])),
            items=tuple(preview_item(item) for item in owned.get(id(node), [])),
        )

    roots = tuple(preview_node(node) for node in children.get(id(None), []))
    loose = tuple(preview_item(item) for item in owned.get(id(None), []))
    return roots, loose


def preview_plan(
    session: Session,
    *,
    organization_id: int,
    path: Path,
    name: str | None = None,
    title: str | None = None,
    replace: bool = False,
    overrides: ColumnOverrides | None = None,
) -> PlanPreview:
    """Read and check the table exactly as `import_plan` does, and store nothing.

    Raises PlanImportError for a table the import would refuse (same message)."""
    table = read_table(path=path, name=name, title=title, overrides=overrides)
    parsed = table.parsed
    warnings: list[Message] = list(parsed.warnings)
    plan = find_plan_by_name(session, organization_id=organization_id, name=table.name)
    mode = MODE_CREATED
    if plan is not None:
        has_rounds = session.scalar(select(Round.id).where(Round.plan_id == plan.id).limit(1))
        mode = MODE_UPDATED if has_rounds is not None else MODE_REPLACED
        if not replace and plan.source_name != path.name:
            warnings.insert(
                0,
                msg(
                    "plan_import.store.other_file"
                    if plan.source_name
                    else "plan_import.store.exists",
                    name=plan.name,
                    id=plan.id,
                    origin=plan.source_name,
                    file=path.name,
                ),
            )
    known = department_names(session, organization_id=organization_id)
    answering: dict[str, int] = {}
    for item in parsed.items:
        for department in item.departments:
            answering[department] = answering.get(department, 0) + 1
    roots, loose = _tree(parsed)
    return PlanPreview(
        file=path.name,
        name=table.name,
        sheet=table.grid.sheet,
        encoding=table.grid.encoding,
        mode=mode,
        plan_id=plan.id if plan is not None else None,
        header_rows=parsed.header_rows,
        columns=tuple(parsed.readings),
        level_labels=tuple(parsed.level_labels),
        item_label=parsed.item_label,
        numbering=parsed.numbering,
        roots=roots,
        loose_items=loose,
        departments=tuple(
            PreviewDepartment(name=name, items=count, known=fold_key(name) in known)
            for name, count in answering.items()
        ),
        assignments=sum(len(item.departments) for item in parsed.items),
        reposts=sum(1 for item in parsed.items if item.repost_of is not None),
        headings=tuple(parsed.headings),
        skipped=tuple(parsed.skipped),
        warnings=tuple(warnings),
        department_warnings=tuple(parsed.department_warnings),
    )
