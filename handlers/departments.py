"""The office's view of departments: how many items each owns and who is linked to it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Assignment, AuditEntry, ChatIdentity, Department, Item, utcnow


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


def department_overview(
    session: Session, *, organization_id: int, plan_id: int | None = None
) -> list[DepartmentOverview]:
    """Every department with its item count (one plan or all) and its active chat links."""
    count_query = (
        select(Assignment.department_id, func.count(Assignment.id))
        .join(Item, Item.id == Assignment.item_id)
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
    departments = session.scalars(
        select(Department)
        .where(Department.organization_id == organization_id)
        .order_by(Department.name)
    )
    return [
        DepartmentOverview(
            id=d.id,
            name=d.name,
            items=counts.get(d.id, 0),
            identities=tuple(links.get(d.id, ())),
        )
        for d in departments
        if plan_id is None or d.id in counts
    ]


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
