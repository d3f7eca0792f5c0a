"""`import_plan`: a plan table (CSV/TSV/XLSX) in, a plan tree with items and departments out.

reader → grid of strings; columns → header roles; codes → code/title split;
build → validated tree in memory; store → one set of writes (caller owns the transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.normalize import fold
from handlers.plan_import.build import Progress, parse_plan
from handlers.plan_import.columns import ColumnOverrides, detect_layout
from handlers.plan_import.errors import PlanImportError
from handlers.plan_import.reader import read_grid
from handlers.plan_import.store import store_plan
from models import Assignment, Item

__all__ = ["ColumnOverrides", "ImportResult", "PlanImportError", "import_plan"]

MAX_PLAN_NAME = 200


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
    warnings: list[str] = field(default_factory=list)
    added_items: int = 0
    removed_items: int = 0
    added_assignments: int = 0
    removed_assignments: int = 0
    added_slots: int = 0


def import_plan(
    session: Session,
    *,
    organization_id: int,
    path: Path,
    name: str | None = None,
    overrides: ColumnOverrides | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Read, validate, then write; raises PlanImportError (file, row, column) before any write."""
    overrides = overrides or ColumnOverrides()
    plan_name = fold(name if name is not None else path.stem)
    if not plan_name or len(plan_name) > MAX_PLAN_NAME:
        raise PlanImportError(
            f"計画名は 1〜{MAX_PLAN_NAME} 文字で指定してください（--name）。", file=path.name
        )
    grid = read_grid(path, sheet=overrides.sheet)
    layout = detect_layout(grid, overrides, file=path.name)
    parsed = parse_plan(grid, layout, file=path.name, progress=progress)
    outcome = store_plan(
        session,
        organization_id=organization_id,
        name=plan_name,
        source_name=path.name,
        parsed=parsed,
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
    )
