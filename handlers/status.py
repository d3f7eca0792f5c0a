""" "How far along are we?" and "better than last year?": round progress and grade movement
computed with SQL aggregates driven by the round's own rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, null, select
from sqlalchemy.orm import Session, aliased, joinedload

from handlers.departments import department_sort_key
from handlers.errors import NotFound
from handlers.fiscal import reiwa_label
from handlers.rounds import previous_round
from handlers.scale import GradeScale
from models import Assignment, Department, Item, PlanNode, Report, Round


def percent(done: int, total: int) -> float:
    """Answered share of a round, one decimal; an empty round is 0 (nothing to answer yet)."""
    return round(100 * done / total, 1) if total else 0.0


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
    fiscal_year: int
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
        return percent(self.submitted, self.total)

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


@dataclass(frozen=True)
class Movement:
    """How the grades of one group's slots moved since the previous round."""

    name: str
    rose: int
    fell: int
    same: int
    unmatched: int  # no answer in one of the rounds, or a grade outside this round's scale

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "rose": self.rose,
            "fell": self.fell,
            "same": self.same,
            "unmatched": self.unmatched,
        }


@dataclass(frozen=True)
class Comparison:
    """This round against the plan's previous round, slot by slot (same item × department)."""

    round_id: int
    round_label: str
    previous_round_id: int
    previous_label: str
    total: Movement
    goals: tuple[Movement, ...]  # per top hierarchy node, in plan order
    departments: tuple[Movement, ...]  # by name

    def to_json(self) -> dict[str, object]:
        return {
            "round": self.round_id,
            "label": self.round_label,
            "previous_round": self.previous_round_id,
            "previous_label": self.previous_label,
            "total": self.total.to_json(),
            "goals": [g.to_json() for g in self.goals],
            "departments": [d.to_json() for d in self.departments],
        }


def _round(session: Session, round_id: int) -> Round:
    """The round with its plan, in one statement."""
    rnd = session.scalar(select(Round).options(joinedload(Round.plan)).where(Round.id == round_id))
    if rnd is None:
        raise NotFound(f"回 {round_id} が見つかりません。")
    return rnd


def _slot_groups(
    session: Session,
    *,
    round_id: int,
    department_id: int | None,
    previous_round_id: int | None = None,
) -> list[tuple[int, int | None, str | None, str | None, int]]:
    """(department id, item's node id, grade, previous grade, slots) of the round's slots.

    Driven by the round's own report rows (index on reports.round_id); each slot's department
    and node are looked up by primary key in correlated subqueries, which the planner cannot
    turn into a hash join over all assignments, so the cost follows the round's size and not
    the database's (see benchmarks/status.py).
    """
    department = (
        select(Assignment.department_id)
        .where(Assignment.id == Report.assignment_id)
        .scalar_subquery()
    )
    node = (
        select(Item.node_id)
        .join(Assignment, Assignment.item_id == Item.id)
        .where(Assignment.id == Report.assignment_id)
        .scalar_subquery()
    )
    before = aliased(Report)
    previous_grade = (
        select(before.grade)
        .where(before.round_id == previous_round_id, before.assignment_id == Report.assignment_id)
        .scalar_subquery()
        if previous_round_id is not None
        else null()
    )
    slots = (
        select(
            department.label("department_id"),
            node.label("node_id"),
            Report.grade.label("grade"),
            previous_grade.label("previous_grade"),
        )
        .where(Report.round_id == round_id)
        .subquery()
    )
    query = select(
        slots.c.department_id,
        slots.c.node_id,
        slots.c.grade,
        slots.c.previous_grade,
        func.count(),
    ).group_by(slots.c.department_id, slots.c.node_id, slots.c.grade, slots.c.previous_grade)
    if department_id is not None:
        query = query.where(slots.c.department_id == department_id)
    return [(d, n, g, p, int(c)) for d, n, g, p, c in session.execute(query)]


@dataclass(frozen=True)
class _Known:
    name: str
    sort_key: tuple[bool, str, tuple[int, int], str]


def _departments(session: Session, ids: set[int], *, plan_id: int) -> dict[int, _Known]:
    """Names and the order people expect (50音 by reading, else the plan's order of first
    appearance: `handlers.departments.department_sort_key`), in one statement."""
    if not ids:
        return {}
    rows = session.execute(
        select(Department.id, Department.name, Department.reading, func.min(Item.position))
        .outerjoin(Assignment, Assignment.department_id == Department.id)
        .outerjoin(Item, (Item.id == Assignment.item_id) & (Item.plan_id == plan_id))
        .where(Department.id.in_(ids))
        .group_by(Department.id, Department.name, Department.reading)
    )
    return {
        dept_id: _Known(
            name,
            department_sort_key(
                reading=reading, first=(plan_id, first) if first is not None else None, name=name
            ),
        )
        for dept_id, name, reading, first in rows
    }


def _tops(session: Session, plan_id: int) -> tuple[dict[int, PlanNode], dict[int, int]]:
    """The plan's nodes by id, and the top ancestor of every node (one indexed query)."""
    nodes = {n.id: n for n in session.scalars(select(PlanNode).where(PlanNode.plan_id == plan_id))}
    tops: dict[int, int] = {}
    for node_id in nodes:
        chain = []
        current: int | None = node_id
        while current is not None and current not in tops and current in nodes:
            chain.append(current)
            current = nodes[current].parent_id
        top = tops[current] if current in tops else chain[-1]
        for member in chain:
            tops[member] = top
    return nodes, tops


def summarize(
    session: Session, *, round_id: int, today: date, department_id: int | None = None
) -> StatusSummary:
    """Totals, grade distribution, per department and per top level, for one round.

    Four statements whatever the plan's or the database's size: the round with its plan,
    the slots grouped by department × node × grade, the departments' names and the plan's
    nodes.
    """
    rnd = _round(session, round_id)
    past = today > rnd.deadline
    groups = _slot_groups(session, round_id=round_id, department_id=department_id)
    known = _departments(session, {d for d, *_ in groups if d is not None}, plan_id=rnd.plan_id)
    nodes, tops = _tops(session, rnd.plan_id)

    total = sum(n for *_, n in groups)
    submitted = sum(n for _d, _n, grade, _p, n in groups if grade is not None)
    counted: dict[str, int] = {}
    per_department: dict[int, list[int]] = {}
    per_top: dict[int, list[int]] = {}
    for dept, node, grade, _previous, n in groups:
        if grade is not None:
            counted[grade] = counted.get(grade, 0) + n
        done = n if grade is not None else 0
        for key, table in ((dept, per_department), (tops.get(node or 0), per_top)):
            if key is not None:
                sums = table.setdefault(key, [0, 0])
                sums[0] += n
                sums[1] += done
    scale = GradeScale.from_json(rnd.scale)
    grades = {letter: counted.pop(letter, 0) for letter in scale.letters}
    grades.update(counted)  # grades from an older scale

    departments = tuple(
        sorted(
            (
                DepartmentStatus(
                    id=dept_id,
                    name=known[dept_id].name,
                    total=n,
                    submitted=done,
                    overdue=(n - done) if past else 0,
                )
                for dept_id, (n, done) in per_department.items()
            ),
            key=lambda d: known[d.id].sort_key,
        )
    )
    levels = tuple(
        LevelStatus(label=nodes[top].code, title=nodes[top].title, total=n, submitted=done)
        for top, (n, done) in sorted(per_top.items(), key=lambda kv: nodes[kv[0]].position)
    )
    return StatusSummary(
        round_id=rnd.id,
        round_label=reiwa_label(rnd.fiscal_year),
        fiscal_year=rnd.fiscal_year,
        plan_name=rnd.plan.name,
        plan_title=rnd.plan.display_title,
        deadline=rnd.deadline,
        closed=rnd.is_closed,
        past_deadline=past,
        total=total,
        submitted=submitted,
        grades=grades,
        departments=departments,
        levels=levels,
    )


def compare(session: Session, *, round_id: int, department_id: int | None = None) -> Comparison:
    """How many grades rose, fell or stayed since the plan's previous round, per goal and
    department. Better and worse follow the order of this round's scale (first = best)."""
    rnd = _round(session, round_id)
    before = previous_round(session, rnd=rnd)
    if before is None:
        raise NotFound(
            f"{rnd.plan.name} には{reiwa_label(rnd.fiscal_year)}より前の回がないため、比較できません。"
        )
    groups = _slot_groups(
        session, round_id=round_id, department_id=department_id, previous_round_id=before.id
    )
    known = _departments(session, {d for d, *_ in groups if d is not None}, plan_id=rnd.plan_id)
    nodes, tops = _tops(session, rnd.plan_id)
    rank = {letter: i for i, letter in enumerate(GradeScale.from_json(rnd.scale).letters)}

    def move(grade: str | None, previous: str | None) -> int:
        """0 rose, 1 fell, 2 same, 3 unmatched."""
        if grade not in rank or previous not in rank:
            return 3
        now, then = rank[grade], rank[previous]
        return 0 if now < then else 1 if now > then else 2

    total = [0, 0, 0, 0]
    per_department: dict[int, list[int]] = {}
    per_top: dict[int, list[int]] = {}
    for dept, node, grade, previous, n in groups:
        kind = move(grade, previous)
        total[kind] += n
        for key, table in ((dept, per_department), (tops.get(node or 0), per_top)):
            if key is not None:
                table.setdefault(key, [0, 0, 0, 0])[kind] += n

    def movement(name: str, counts: list[int]) -> Movement:
        return Movement(name, *counts)

    return Comparison(
        round_id=rnd.id,
        round_label=reiwa_label(rnd.fiscal_year),
        previous_round_id=before.id,
        previous_label=reiwa_label(before.fiscal_year),
        total=movement("合計", total),
        goals=tuple(
            movement(nodes[top].display, counts)
            for top, counts in sorted(per_top.items(), key=lambda kv: nodes[kv[0]].position)
        ),
        departments=tuple(
            movement(known[d].name, per_department[d])
            for d in sorted(per_department, key=lambda d: known[d].sort_key)
        ),
    )
