"""Naming plans: the short name typed on the command line, and the title people read.

`plan import x.csv` names the plan after the file stem ("nishitokyo_merged"); the office
renames it (`plan rename`) and gives it the title its committee knows
(`plan edit --title 西東京市第4次男女平等参画推進計画`), which the export header and status show.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.normalize import fold, fold_key
from handlers.plan.table_import.store import find_plan_by_name
from models import AuditEntry, Plan

MAX_NAME = 200
MAX_TITLE = 500


@dataclass(frozen=True)
class PlanNames:
    id: int
    name: str
    title: str  # as stored ("" = none)
    display_title: str  # the title, else the name


def _names(plan: Plan) -> PlanNames:
    return PlanNames(plan.id, plan.name, plan.title, plan.display_title)


def rename_plan(session: Session, *, plan: Plan, new_name: str, actor: str) -> PlanNames:
    """Give the plan another name (unique in the organization, folded like imports)."""
    name = fold(new_name)
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(msg("plan.name_length", limit=MAX_NAME))
    other = find_plan_by_name(session, organization_id=plan.organization_id, name=name)
    if other is not None and other.id != plan.id:
        raise InvalidInput(msg("plan.name_taken", name=other.name, id=other.id))
    if name != plan.name:
        session.add(
            AuditEntry(
                actor=actor,
                action="plan_rename",
                detail={"plan": plan.id, "old": plan.name, "new": name},
            )
        )
        plan.name = name
    return _names(plan)


def edit_plan(session: Session, *, plan: Plan, title: str, actor: str) -> PlanNames:
    """Set the plan's title ("" = none: the name is shown)."""
    new = fold(title)
    if len(new) > MAX_TITLE:
        raise InvalidInput(msg("plan.title_too_long", limit=MAX_TITLE))
    if fold_key(new) == fold_key(plan.name):
        new = ""  # a title equal to the name adds nothing
    if new != plan.title:
        session.add(
            AuditEntry(
                actor=actor,
                action="plan_edit",
                detail={"plan": plan.id, "field": "title", "old": plan.title, "new": new},
            )
        )
        plan.title = new
    return _names(plan)
