"""Finding the organization, its departments and plans by what a user typed.

Every lookup folds what was typed the way the importer folds the table (NFKC: full-width
digits, letters, parentheses and spaces; white space ignored), so `西東京市第５次` finds
`西東京市第5次` and `子ども家庭支援センター（分室）` finds `子ども家庭支援センター(分室)`.
A department's former names (`dept rename`, `dept merge`) find the department it became.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import NotFound
from handlers.i18n import msg
from handlers.normalize import fold, fold_key
from models import Department, DepartmentAlias, Organization, Plan


def get_or_create_organization(session: Session, *, name: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name)
        session.add(org)
        session.flush()
    return org


def get_or_create_department(session: Session, *, organization_id: int, name: str) -> Department:
    found = lookup_department(session, organization_id=organization_id, name=name)
    if found is not None:
        return found
    dept = Department(organization_id=organization_id, name=fold(name))
    session.add(dept)
    session.flush()
    return dept


def department_names(session: Session, *, organization_id: int) -> dict[str, Department]:
    """fold_key of every current and former department name → the department."""
    found: dict[str, Department] = {}
    for alias in session.scalars(
        select(DepartmentAlias).where(DepartmentAlias.organization_id == organization_id)
    ):
        found[fold_key(alias.name)] = alias.department
    for dept in session.scalars(
        select(Department).where(Department.organization_id == organization_id)
    ):
        found[fold_key(dept.name)] = dept  # a current name wins over a former one
    return found


def lookup_department(session: Session, *, organization_id: int, name: str) -> Department | None:
    """The department called `name` now or formerly (folded), else None."""
    return department_names(session, organization_id=organization_id).get(fold_key(name))


def find_department(session: Session, *, organization_id: int, name: str) -> Department:
    """Current or former name after folding (全角/半角, spaces); else NotFound with close names."""
    names = department_names(session, organization_id=organization_id)
    key = fold_key(name)
    if key in names:
        return names[key]
    current = {d.name for d in names.values()}
    close = sorted(n for n in current if key and key in fold_key(n))[:5]
    if close:
        raise NotFound(msg("department.not_found.close", name=name[:40], names=tuple(close)))
    raise NotFound(msg("department.not_found", name=name[:40]))


@dataclass(frozen=True)
class OfficeDepartment:
    department: Department
    created: bool  # registered now: the organization had no department yet


def office_department(session: Session, *, organization_id: int, name: str) -> OfficeDepartment:
    """The office's own department for its first sign-in, by name.

    On a new installation there is no department yet (the plan is imported afterwards, from
    the web console), so the office's department is registered here; once departments exist,
    an unknown name is refused as everywhere else, so a typo never creates a department. A
    plan imported later that names the same department (folded) finds this one.
    """
    names = department_names(session, organization_id=organization_id)
    if not names:
        return OfficeDepartment(
            department=get_or_create_department(
                session, organization_id=organization_id, name=name
            ),
            created=True,
        )
    return OfficeDepartment(
        department=find_department(session, organization_id=organization_id, name=name),
        created=False,
    )


def find_plan(session: Session, *, organization_id: int, ref: str) -> Plan | None:
    """A plan by id (`3`), by name or by title, folded; None when nothing matches."""
    query = select(Plan).where(Plan.organization_id == organization_id)
    key = fold_key(ref)
    if key.isdigit():
        plan = session.scalar(query.where(Plan.id == int(key)))
        if plan is not None:
            return plan
    plans = session.scalars(query.order_by(Plan.id)).all()
    by_name = [p for p in plans if fold_key(p.name) == key]
    by_title = [p for p in plans if p.title and fold_key(p.title) == key]
    matches = by_name or by_title
    return matches[0] if len(matches) == 1 else None


def resolve_plan(session: Session, *, organization_id: int, ref: str) -> Plan:
    """Like find_plan; NotFound lists the registered plans."""
    plan = find_plan(session, organization_id=organization_id, ref=ref)
    if plan is None:
        names = session.scalars(
            select(Plan).where(Plan.organization_id == organization_id).order_by(Plan.id)
        ).all()
        known = tuple(f"{p.id}:{p.name}" for p in names) or msg("plan.none_registered")
        raise NotFound(msg("plan.not_found", plan=ref.strip(), known=known))
    return plan
