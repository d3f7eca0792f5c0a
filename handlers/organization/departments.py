"""The office's view of departments: how many items each owns, who is linked, in what order.

Order (status, dept list): departments with a reading (`dept edit NAME --reading`) first,
in 50音 order of the reading; then the others in the plan's order of first appearance
(the order the office's own table lists them), not by code point (which would put
ごみ減量推進課 before スポーツ振興課 before 下水道課).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.normalize import fold
from models import (
    Assignment,
    AuditEntry,
    ChatIdentity,
    Department,
    DepartmentAlias,
    Item,
    utcnow,
)

# Hiragana, katakana (incl. ー and small forms) and spaces; checked after NFKC folding.
_KANA = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe ]+$")
_LAST = (1 << 31, 1 << 31)


def kana_key(reading: str) -> str:
    """A reading as a sort key: NFKC (half-width kana → full-width), katakana → hiragana."""
    folded = unicodedata.normalize("NFKC", reading).replace(" ", "")
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in folded)


def department_sort_key(
    *, reading: str | None, first: tuple[int, int] | None, name: str
) -> tuple[bool, str, tuple[int, int], str]:
    """Reading given: 50音 by reading; else plan order (plan id, item position of first use)."""
    return (reading is None, kana_key(reading) if reading else "", first or _LAST, name)


def check_reading(text: str) -> str | None:
    """A reading as typed (`じんけん すいしんか`, `ジンケン`), folded; "" clears it."""
    reading = fold(text)
    if not reading:
        return None
    if not _KANA.match(reading):
        raise InvalidInput(msg("department.reading_not_kana", reading=text))
    return reading


def first_appearance(session: Session, *, plan_id: int | None = None) -> dict[int, tuple[int, int]]:
    """department id → (plan id, item position) of its first item, over one plan or all."""
    query = select(Assignment.department_id, Item.plan_id, func.min(Item.position)).join(
        Item, Item.id == Assignment.item_id
    )
    if plan_id is not None:
        query = query.where(Item.plan_id == plan_id)
    first: dict[int, tuple[int, int]] = {}
    for dept_id, plan, position in session.execute(
        query.group_by(Assignment.department_id, Item.plan_id)
    ):
        key = (int(plan), int(position))
        first[dept_id] = min(first.get(dept_id, key), key)
    return first


@dataclass(frozen=True)
class NamedDepartment:
    name: str
    sort_key: tuple[bool, str, tuple[int, int], str]


def named_departments(
    session: Session, ids: set[int], *, plan_id: int
) -> dict[int, NamedDepartment]:
    """Names and the order people expect (`department_sort_key`, first appearance in the
    plan `plan_id`) of the departments `ids`, in one statement."""
    if not ids:
        return {}
    # The first positions come from this plan's items alone (ix_items_plan_id, then the
    # assignments of those items): the statement does not grow with the other plans.
    first = (
        select(Assignment.department_id, func.min(Item.position).label("position"))
        .join(Item, Item.id == Assignment.item_id)
        .where(Item.plan_id == plan_id, Assignment.department_id.in_(ids))
        .group_by(Assignment.department_id)
        .subquery()
    )
    rows = session.execute(
        select(Department.id, Department.name, Department.reading, first.c.position)
        .outerjoin(first, first.c.department_id == Department.id)
        .where(Department.id.in_(ids))
    )
    return {
        dept_id: NamedDepartment(
            name,
            department_sort_key(
                reading=reading, first=(plan_id, first) if first is not None else None, name=name
            ),
        )
        for dept_id, name, reading, first in rows
    }


@dataclass(frozen=True)
class LinkedIdentity:
    platform: str
    kind: str
    external_id: str
    role: str


@dataclass(frozen=True)
class DepartmentOverview:
    id: int
    name: str
    items: int
    identities: tuple[LinkedIdentity, ...]
    reading: str | None = None
    former_names: tuple[str, ...] = ()


def department_overview(
    session: Session, *, organization_id: int, plan_id: int | None = None
) -> list[DepartmentOverview]:
    """Every department with its item count (one plan or all) and its active chat links.

    A (再掲) item is not counted: the department answers it once, on the original.
    """
    count_query = (
        select(Assignment.department_id, func.count(Assignment.id))
        .join(Item, Item.id == Assignment.item_id)
        .where(Item.repost_of_id.is_(None))
        .group_by(Assignment.department_id)
    )
    if plan_id is not None:
        count_query = count_query.where(Item.plan_id == plan_id)
    counts: dict[int, int] = {dept_id: int(n) for dept_id, n in session.execute(count_query)}
    links: dict[int, list[LinkedIdentity]] = {}
    for ident in session.scalars(
        select(ChatIdentity)
        .where(
            ChatIdentity.organization_id == organization_id,
            ChatIdentity.active.is_(True),
        )
        .order_by(ChatIdentity.platform, ChatIdentity.external_id)
    ):
        links.setdefault(ident.department_id, []).append(
            LinkedIdentity(ident.platform, ident.kind, ident.external_id, ident.role)
        )
    former: dict[int, list[str]] = {}
    for alias in session.scalars(
        select(DepartmentAlias)
        .where(DepartmentAlias.organization_id == organization_id)
        .order_by(DepartmentAlias.id)
    ):
        former.setdefault(alias.department_id, []).append(alias.name)
    first = first_appearance(session, plan_id=plan_id)
    departments = sorted(
        session.scalars(select(Department).where(Department.organization_id == organization_id)),
        key=lambda d: department_sort_key(reading=d.reading, first=first.get(d.id), name=d.name),
    )
    return [
        DepartmentOverview(
            id=d.id,
            name=d.name,
            items=counts.get(d.id, 0),
            identities=tuple(links.get(d.id, ())),
            reading=d.reading,
            former_names=tuple(former.get(d.id, ())),
        )
        for d in departments
        if plan_id is None or d.id in first
    ]


def edit_department(
    session: Session, *, department: Department, reading: str, actor: str
) -> Department:
    """Set (or clear, with "") the department's reading; audited."""
    new = check_reading(reading)
    if new != department.reading:
        session.add(
            AuditEntry(
                actor=actor,
                action="dept_edit",
                detail={"department": department.name, "reading": new, "old": department.reading},
            )
        )
        department.reading = new
    return department


def unlink_from_department(
    session: Session, *, department: Department, platform: str, external_id: str, actor: str = ""
) -> int:
    """Deactivate one identity's link to one department (its other links stay)."""
    rows = session.scalars(
        select(ChatIdentity).where(
            ChatIdentity.platform == platform,
            ChatIdentity.external_id == external_id,
            ChatIdentity.department_id == department.id,
            ChatIdentity.active.is_(True),
        )
    ).all()
    for identity in rows:
        identity.active = False
        identity.unlinked_at = utcnow()
    if rows:
        session.add(
            AuditEntry(
                actor=actor,
                action="unlink",
                detail={
                    "platform": platform,
                    "external_id": external_id,
                    "department": department.name,
                },
            )
        )
    return len(rows)
