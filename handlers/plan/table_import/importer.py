"""`import_plan`: a plan table (CSV/TSV/XLSX) in, a plan tree with items and departments out
(exported by the package, `handlers.plan.table_import`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.i18n import Message, msg
from handlers.normalize import fold, fold_key
from handlers.organization.directory import lookup_department
from handlers.organization.reorganize import rename_department
from handlers.plan.table_import.build import (
    DepartmentWarning,
    HeadingRow,
    ParsedPlan,
    Progress,
    parse_plan,
)
from handlers.plan.table_import.columns import (
    ColumnOverrides,
    ColumnReading,
    Layout,
    detect_layout,
)
from handlers.plan.table_import.errors import PlanImportError
from handlers.plan.table_import.reader import Grid, read_grid
from handlers.plan.table_import.rows import SkippedRow
from handlers.plan.table_import.store import store_plan
from models import Assignment, Item

MAX_PLAN_NAME = 200
MAX_PLAN_TITLE = 500


@dataclass(frozen=True)
class ImportResult:
    plan_id: int
    name: str
    mode: str  # created / replaced / updated
    items: int
    departments: int
    assignments: int
    level_labels: list[str]
    item_label: str
    numbering: str  # source (the table's own plan-wide numbers) / sequential
    encoding: str
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    added_items: int = 0
    removed_items: int = 0
    added_assignments: int = 0
    removed_assignments: int = 0
    added_slots: int = 0
    title: str = ""
    sheet: str = ""
    reposts: int = 0  # (再掲) items linked to their original (answered there)
    department_warnings: list[DepartmentWarning] = field(default_factory=list)
    renamed_departments: list[tuple[str, str]] = field(default_factory=list)
    # How the table was read (also what `preview_plan` shows before anything is stored).
    header_rows: tuple[int, ...] = ()  # 1-based
    columns: tuple[ColumnReading, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    headings: tuple[HeadingRow, ...] = ()


@dataclass(frozen=True)
class TableRead:
    """A plan table read and validated in memory, nothing stored: what both the import and
    its preview start from."""

    grid: Grid
    layout: Layout
    parsed: ParsedPlan
    name: str
    title: str | None


def parse_renames(specs: list[str]) -> list[tuple[str, str]]:
    """`--rename-dept 旧名=新名` options as (old, new) pairs, folded."""
    pairs: list[tuple[str, str]] = []
    for spec in specs:
        old, sep, new = fold(spec).partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInput(msg("plan_import.rename.form", spec=spec))
        pairs.append((old.strip(), new.strip()))
    return pairs


def _apply_renames(
    session: Session, *, organization_id: int, renames: list[tuple[str, str]], actor: str
) -> list[tuple[str, str]]:
    """Rename OLD to NEW before storing, unless that already happened (then nothing to do)."""
    done: list[tuple[str, str]] = []
    for old, new in renames:
        current = lookup_department(session, organization_id=organization_id, name=old)
        if current is not None and fold_key(current.name) == fold_key(new):
            continue  # already renamed (OLD is a former name of NEW)
        if current is None:
            raise InvalidInput(msg("plan_import.rename.unknown", name=old))
        outcome = rename_department(
            session, organization_id=organization_id, old=old, new=new, actor=actor
        )
        done.append((outcome.old_name, outcome.new_name))
    return done


def _layout(grid: Grid, overrides: ColumnOverrides, path: Path) -> Layout:
    """The table's layout; a workbook whose first sheet is a cover (表紙) names its sheets."""
    try:
        return detect_layout(grid, overrides, file=path.name)
    except PlanImportError as exc:
        if overrides.sheet is not None or len(grid.sheet_names) < 2:
            raise
        tables = []
        for other in grid.sheet_names[1:]:
            try:
                detect_layout(read_grid(path, sheet=other), overrides, file=path.name)
            except PlanImportError:
                continue
            tables.append(other)
        hint = (
            msg("plan_import.sheet.try", sheets=tuple(tables), first=tables[0])
            if tables
            else msg("plan_import.sheet.name_it")
        )
        raise PlanImportError(
            msg(
                "plan_import.sheet.cover",
                sheet=grid.sheet,
                problem=exc.problem,
                sheets=tuple(msg("plan_import.quoted", text=n) for n in grid.sheet_names),
                hint=hint,
            ),
            file=path.name,
        ) from exc


def read_table(
    *,
    path: Path,
    name: str | None = None,
    title: str | None = None,
    overrides: ColumnOverrides | None = None,
    progress: Progress | None = None,
) -> TableRead:
    """Read and validate a plan table; raises PlanImportError (file, row, column)."""
    overrides = overrides or ColumnOverrides()
    plan_name = fold(name if name is not None else path.stem)
    if not plan_name or len(plan_name) > MAX_PLAN_NAME:
        raise PlanImportError(msg("plan_import.name.length", limit=MAX_PLAN_NAME), file=path.name)
    plan_title = fold(title) if title is not None else None
    if plan_title is not None and len(plan_title) > MAX_PLAN_TITLE:
        raise PlanImportError(msg("plan_import.title.length", limit=MAX_PLAN_TITLE), file=path.name)
    grid = read_grid(path, sheet=overrides.sheet)
    layout = _layout(grid, overrides, path)
    parsed = parse_plan(grid, layout, file=path.name, progress=progress)
    return TableRead(grid=grid, layout=layout, parsed=parsed, name=plan_name, title=plan_title)


def import_plan(
    session: Session,
    *,
    organization_id: int,
    path: Path,
    name: str | None = None,
    title: str | None = None,
    replace: bool = False,
    renames: list[tuple[str, str]] | None = None,
    actor: str = "",
    overrides: ColumnOverrides | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Read, validate, then write; raises PlanImportError (file, row, column) before any write.

    `replace`: the plan of that name may come from another file (x.xlsx after x.csv).
    `renames`: departments renamed before the table is stored (`--rename-dept OLD=NEW`).
    """
    table = read_table(path=path, name=name, title=title, overrides=overrides, progress=progress)
    grid, parsed = table.grid, table.parsed
    renamed = _apply_renames(
        session, organization_id=organization_id, renames=renames or [], actor=actor
    )
    outcome = store_plan(
        session,
        organization_id=organization_id,
        name=table.name,
        source_name=path.name,
        parsed=parsed,
        title=table.title,
        replace=replace,
    )
    plan = outcome.plan
    items, assignments, departments = session.execute(
        select(
            func.count(func.distinct(Item.id)),
            func.count(Assignment.id),
            func.count(func.distinct(Assignment.department_id)),
        )
        .select_from(Item)
        .outerjoin(Assignment, Assignment.item_id == Item.id)
        .where(Item.plan_id == plan.id)
    ).one()
    return ImportResult(
        plan_id=plan.id,
        name=plan.name,
        mode=outcome.mode,
        items=items,
        departments=departments,
        assignments=assignments,
        level_labels=list(parsed.level_labels),
        item_label=parsed.item_label,
        numbering=parsed.numbering,
        encoding=grid.encoding,
        ignored_columns=parsed.ignored_columns,
        warnings=parsed.warnings,
        added_items=outcome.added_items,
        removed_items=outcome.removed_items,
        added_assignments=outcome.added_assignments,
        removed_assignments=outcome.removed_assignments,
        added_slots=outcome.added_slots,
        title=plan.display_title,
        sheet=grid.sheet,
        reposts=sum(1 for item in parsed.items if item.repost_of is not None),
        department_warnings=parsed.department_warnings,
        renamed_departments=renamed,
        header_rows=parsed.header_rows,
        columns=tuple(parsed.readings),
        skipped=tuple(parsed.skipped),
        headings=tuple(parsed.headings),
    )
