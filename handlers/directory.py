"""Finding the organization, its departments and plans by what a user typed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import NotFound
from handlers.normalize import fold, fold_key
from models import Department, Organization, Plan


def get_or_create_organization(session: Session, *, name: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name)
        session.add(org)
        session.flush()
    return org


def get_or_create_department(session: Session, *, organization_id: int, name: str) -> Department:
    name = fold(name)
    dept = session.scalar(
        select(Department).where(
            Department.organization_id == organization_id, Department.name == name
        )
    )
    if dept is None:
        dept = Department(organization_id=organization_id, name=name)
        session.add(dept)
        session.flush()
    return dept


def find_department(session: Session, *, organization_id: int, name: str) -> Department:
    """Exact name after folding (全角/半角, spaces); otherwise NotFound listing close names."""
    key = fold_key(name)
    departments = session.scalars(
        select(Department).where(Department.organization_id == organization_id)
    ).all()
    for dept in departments:
        if fold_key(dept.name) == key:
            return dept
    close = [d.name for d in departments if key and (key in fold_key(d.name))][:5]
    hint = f" 近い名前: {'、'.join(close)}" if close else ""
    raise NotFound(f"担当課「{name}」が見つかりません。{hint}".rstrip())


def resolve_plan(session: Session, *, organization_id: int, ref: str) -> Plan:
    """A plan by id (`3`) or by name."""
    ref = ref.strip()
    query = select(Plan).where(Plan.organization_id == organization_id)
    plan = None
    if fold(ref).isdigit():
        plan = session.scalar(query.where(Plan.id == int(fold(ref))))
    if plan is None:
        plan = session.scalar(query.where(Plan.name == ref))
    if plan is None:
        names = session.scalars(query.order_by(Plan.id)).all()
        known = (
            "、".join(f"{p.id}:{p.name}" for p in names)
            or "なし（hokoku plan import で取り込めます）"
        )
        raise NotFound(f"計画「{ref}」が見つかりません。登録済みの計画: {known}")
    return plan
