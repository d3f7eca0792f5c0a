""" "How far along are we?": round progress computed with SQL aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from handlers.departments import department_sort_key
from handlers.errors import NotFound
from handlers.fiscal import reiwa_label
from handlers.scale import GradeScale
from models import Assignment, Department, Item, PlanNode, Report, Round


@dataclass(frozen=True)
class DepartmentStatus:
    id: int
    name: str
    total: int
    submitted: int
    overdue: int  # unanswered slots once the deadline has passed, else 0

    @property
    def pending(self) -> int:
        return self.total - self.submitted


@dataclass(frozen=True)
class LevelStatus:
    """Progress under one top hierarchy node (e.g. 基本目標 I)."""

    label: str
    title: str
    total: int
    submitted: int


@dataclass(frozen=True)
class StatusSummary:
    round_id: int
    round_label: str
    plan_name: str
    plan_title: str  # what people read: Plan.title, else the name
    deadline: date
    closed: bool
    past_deadline: bool
    total: int
    submitted: int
    grades: dict[str, int]
    departments: tuple[DepartmentStatus, ...]
    levels: tuple[LevelStatus, ...]

    @property
    def percent(self) -> float:
        return round(100 * self.submitted / self.total, 1) if self.total else 0.0

    @property
    def overdue_departments(self) -> tuple[DepartmentStatus, ...]:
        return tuple(d for d in self.departments if d.overdue)

    def to_json(self) -> dict[str, object]:
        return {
            "round": self.round_id,
            "label": self.round_label,
            "plan": self.plan_name,
            "plan_title": self.plan_title,
            "deadline": self.deadline.isoformat(),
            "closed": self.closed,
            "total": self.total,
            "submitted": self.submitted,
            "percent": self.percent,
            "grades": self.grades,
            "departments": [
                {"name": d.name, "total": d.total, "submitted": d.submitted, "overdue": d.overdue}
                for d in self.departments
            ],
            "levels": [
                {"label": lv.label, "title": lv.title, "total": lv.total, "submitted": lv.submitted}
                for lv in self.levels
            ],
        }


def _slots(*columns: Any) -> Select[Any]:
    """Report slots joined to their assignment, selecting `columns`."""
    return (
        select(*columns).select_from(Report).join(Assignment, Assignment.id == Report.assignment_id)
    )


def summarize(
    session: Session, *, round_id: int, today: date, department_id: int | None = None
) -> StatusSummary:
    """Totals, grade distribution, per department and per top level, for one round."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"回 {round_id} が見つかりません。")
    past = today > rnd.deadline
    scope = [Report.round_id == round_id]
    if department_id is not None:
        scope.append(Assignment.department_id == department_id)

    total, submitted = session.execute(
        _slots(func.count(Report.id), func.count(Report.grade)).where(*scope)
    ).one()
    counted: dict[str, int] = dict(
        session.execute(
            _slots(Report.grade, func.count(Report.id))
            .where(*scope, Report.grade.is_not(None))
            .group_by(Report.grade)
        ).all()
    )
    scale = GradeScale.from_json(rnd.scale)
    grades = {letter: int(counted.pop(letter, 0)) for letter in scale.letters}
    grades.update({str(k): int(v) for k, v in counted.items()})  # grades from an older scale

    dept_rows = session.execute(
        _slots(
            Department.id,
            Department.name,
            Department.reading,
            func.count(Report.id),
            func.count(Report.grade),
            func.min(Item.position),
        )
        .join(Department, Department.id == Assignment.department_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(*scope)
        .group_by(Department.id, Department.name, Department.reading)
    ).all()
    ordered = sorted(
        dept_rows,
        key=lambda row: department_sort_key(
            reading=row.reading, first=(rnd.plan_id, row[5]), name=row.name
        ),
    )
    departments = tuple(
        DepartmentStatus(
            id=dept_id,
            name=name,
            total=n,
            submitted=done,
            overdue=(n - done) if past else 0,
        )
        for dept_id, name, _reading, n, done, _first in ordered
    )

    # Top ancestor of every node, by a recursive CTE (works on SQLite and PostgreSQL).
    tops = (
        select(PlanNode.id.label("node_id"), PlanNode.id.label("top_id"))
        .where(PlanNode.plan_id == rnd.plan_id, PlanNode.parent_id.is_(None))
        .cte("tops", recursive=True)
    )
    child = select(PlanNode.id, tops.c.top_id).join(tops, PlanNode.parent_id == tops.c.node_id)
    tops = tops.union_all(child)
    top = PlanNode.__table__.alias("top")
    level_rows = session.execute(
        _slots(
            top.c.code,
            top.c.title,
            func.count(Report.id),
            func.count(Report.grade),
            func.min(top.c.position),
        )
        .join(Item, Item.id == Assignment.item_id)
        .join(tops, tops.c.node_id == Item.node_id)
        .join(top, top.c.id == tops.c.top_id)
        .where(*scope)
        .group_by(top.c.id, top.c.code, top.c.title)
        .order_by(func.min(top.c.position))
    ).all()
    levels = tuple(
        LevelStatus(label=code, title=title, total=n, submitted=done)
        for code, title, n, done, _pos in level_rows
    )
    return StatusSummary(
        round_id=rnd.id,
        round_label=reiwa_label(rnd.fiscal_year),
        plan_name=rnd.plan.name,
        plan_title=rnd.plan.display_title,
        deadline=rnd.deadline,
        closed=rnd.is_closed,
        past_deadline=past,
        total=int(total),
        submitted=int(submitted),
        grades=grades,
        departments=departments,
        levels=levels,
    )
