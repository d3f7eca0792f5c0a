"""What a plan table would become, before the office confirms it.

`preview_import` runs the real importer in a transaction that is rolled back, and reads
the plan's tree back from inside it: the tree, item numbers and departments are exactly
what confirming stores. One function, so a dry run of the importer itself
(`handlers.plan.table_import`) can take its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from handlers.plan.table_import import ImportResult, import_plan
from handlers.plan.view import PlanTree, plan_tree
from models import Plan
from models.db import database_error


@dataclass(frozen=True)
class PlanPreview:
    result: ImportResult
    tree: PlanTree


def preview_import(
    factory: sessionmaker[Session],
    *,
    organization_id: int,
    path: Path,
    name: str | None,
    title: str | None,
    replace: bool,
    actor: str,
) -> PlanPreview:
    """Import `path` and read the plan back, then roll everything back."""
    session = factory()
    try:
        session.begin()
        result = import_plan(
            session,
            organization_id=organization_id,
            path=path,
            name=name,
            title=title,
            replace=replace,
            actor=actor,
        )
        tree = plan_tree(session, plan=session.get_one(Plan, result.plan_id))
        return PlanPreview(result=result, tree=tree)
    except DBAPIError as exc:
        translated = database_error(exc)
        if translated is None:
            raise
        raise translated from exc
    finally:
        session.rollback()
        session.close()
