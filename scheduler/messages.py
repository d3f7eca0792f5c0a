"""Build the outbound messages (handlers.ports) of a round from the database, at send time.

Built when the message is actually sent, not when it was planned: a department that
answered in between gets nothing, and a reminder lists exactly what is still missing.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from handlers.ports import DigestLine, OfficeDigest, PendingItem, RoundRequest
from handlers.reports import department_slots
from handlers.scale import GradeScale
from models import Assignment, Department, Report, Round


def pending_counts(
    session: Session, *, round_id: int, department_id: int | None = None
) -> dict[int, tuple[int, int]]:
    """department id → (total slots, unanswered slots), one SQL aggregate (or one department)."""
    query = (
        select(
            Assignment.department_id,
            func.count(Report.id),
            func.sum(case((Report.grade.is_(None), 1), else_=0)),
        )
        .join(Assignment, Assignment.id == Report.assignment_id)
        .where(Report.round_id == round_id)
        .group_by(Assignment.department_id)
    )
    if department_id is not None:
        query = query.where(Assignment.department_id == department_id)
    rows = session.execute(query).all()
    return {dept: (int(total), int(pending or 0)) for dept, total, pending in rows}


def pending_items(
    session: Session, *, round_id: int, department_id: int
) -> tuple[PendingItem, ...]:
    return tuple(
        PendingItem(
            number=slot.item_number, display=slot.item_display, previous_grade=slot.previous_grade
        )
        for slot in department_slots(
            session, round_id=round_id, department_id=department_id, pending_only=True
        )
    )


def round_request(
    session: Session, *, rnd: Round, department_id: int, purpose: str
) -> RoundRequest | None:
    """The ask (request, reminder or overdue) for one department; None when nothing is missing."""
    pending = pending_items(session, round_id=rnd.id, department_id=department_id)
    if not pending:
        return None
    department = session.get(Department, department_id)
    counts = pending_counts(session, round_id=rnd.id, department_id=department_id)
    total = counts.get(department_id, (0, 0))[0]
    return RoundRequest(
        purpose=purpose,
        round_id=rnd.id,
        fiscal_year=rnd.fiscal_year,
        plan_title=rnd.plan.display_title,
        deadline=rnd.deadline,
        department_id=department_id,
        department_name=department.name if department else "",
        total_items=total,
        pending=pending,
        grades=tuple(GradeScale.from_json(rnd.scale).letters),
    )


def office_digest(session: Session, *, rnd: Round, require_missing: bool) -> OfficeDigest | None:
    """Progress and every department still missing, with its items (None: nothing to say)."""
    counts = pending_counts(session, round_id=rnd.id)
    missing = sorted(
        (dept_id for dept_id, (_, pending) in counts.items() if pending),
        key=lambda dept_id: (-counts[dept_id][1], dept_id),
    )
    if require_missing and not missing:
        return None
    names = {
        dept_id: name
        for dept_id, name in session.execute(
            select(Department.id, Department.name).where(Department.id.in_(missing))
        )
    }
    lines = tuple(
        DigestLine(
            department_name=names.get(dept_id, ""),
            pending=pending_items(session, round_id=rnd.id, department_id=dept_id),
        )
        for dept_id in missing
    )
    total = sum(t for t, _ in counts.values())
    return OfficeDigest(
        round_id=rnd.id,
        fiscal_year=rnd.fiscal_year,
        plan_title=rnd.plan.display_title,
        deadline=rnd.deadline,
        total=total,
        submitted=total - sum(p for _, p in counts.values()),
        missing=lines,
    )
