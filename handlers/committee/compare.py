"""This year beside last year: grade counts now and then, and how many went up or down,
overall, per goal (top hierarchy level) and per department.

One grouped query over the round's slots. Last year's answer of a slot is the one
`department_slots` shows (`previous_round` and `previous_join`: the same item, or the item
it continues in the previous plan), so the first year of a new plan compares with the last
year of the old one. Better and worse follow the order of this round's scale (first = best);
last year's grade is read through this round's scale (`GradeScale.match`), and a slot
unanswered in either year or graded outside the scale is not compared (`unmatched`).

Used by `hokoku status --compare` (rose / fell / stayed), `status --summary`
(`handlers.committee.summary_text`), the charts and the export's summary sheet.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound
from handlers.fiscal import reiwa_label
from handlers.i18n import FiscalYear, msg
from handlers.organization.departments import named_departments
from handlers.plan.nodes import top_ancestors
from handlers.plan.settings import plan_settings
from handlers.reporting.rounds import get_round, previous_join, previous_round
from handlers.scale import GradeScale
from models import Assignment, Item, Report

GENERIC_UNIT = "件"
TOTAL_NAME = "合計"


@dataclass(frozen=True)
class GradeTally:
    """Counts over a set of slots (item × department) of the round."""

    label: str  # "" = the whole plan; else the goal as displayed, or the department's name
    total: int
    graded: int
    counts: dict[str, int]  # this year's grades, scale order first
    previous_counts: dict[str, int]  # last year's grades of the same slots
    compared: int  # slots with a grade on the round's scale in both years
    improved: int
    worsened: int

    def good(self, letters: Sequence[str]) -> int:
        return sum(self.counts.get(letter, 0) for letter in letters)

    @property
    def same(self) -> int:
        return self.compared - self.improved - self.worsened

    @property
    def unmatched(self) -> int:
        """Slots not compared: unanswered in one of the years, or graded off the scale."""
        return self.total - self.compared

    @property
    def pending(self) -> int:
        return self.total - self.graded

    def movement_json(self) -> dict[str, object]:
        """`{"name", "rose", "fell", "same", "unmatched"}` (`hokoku status --compare --json`)."""
        return {
            "name": self.label or TOTAL_NAME,
            "rose": self.improved,
            "fell": self.worsened,
            "same": self.same,
            "unmatched": self.unmatched,
        }


@dataclass(frozen=True)
class Comparison:
    round_id: int
    round_label: str
    plan_name: str
    previous_round_id: int | None
    previous_label: str | None
    fiscal_year: int
    previous_fiscal_year: int | None
    scale: GradeScale
    good: tuple[str, ...]  # the grades counted as good
    unit: str  # what is counted: the plan's item label (事業) or 件
    unit_is_item: bool  # every item has one department: one slot = one item
    top_label: str  # the top level's header (基本目標)
    overall: GradeTally
    goals: tuple[GradeTally, ...]  # per top node, in plan order
    departments: tuple[GradeTally, ...] = ()  # 50音 by reading, else plan order

    def to_json(self) -> dict[str, object]:
        """Rose / fell / same / unmatched overall, per goal and per department."""
        return {
            "round": self.round_id,
            "label": self.round_label,
            "previous_round": self.previous_round_id,
            "previous_label": self.previous_label,
            "total": self.overall.movement_json(),
            "goals": [goal.movement_json() for goal in self.goals],
            "departments": [dept.movement_json() for dept in self.departments],
        }


def good_grades(scale: GradeScale, chosen: Sequence[str] | None = None) -> tuple[str, ...]:
    """The chosen letters (checked against the scale), else the top half (rounded up)."""
    if not chosen:
        return tuple(scale.letters[: math.ceil(len(scale.letters) / 2)])
    letters: list[str] = []
    for text in chosen:
        letter = scale.match(text)
        if letter is None:
            raise InvalidInput(msg("compare.good_unknown", grade=text, grades=scale.hint()))
        letters.append(letter)
    return tuple(letters)


Group = tuple[str | None, str | None, int]  # this year's grade, last year's grade, slots


def _tally(label: str, groups: Iterable[Group], scale: GradeScale) -> GradeTally:
    rank = {letter: index for index, letter in enumerate(scale.letters)}
    now: Counter[str] = Counter()
    before: Counter[str] = Counter()
    total = improved = worsened = compared = 0
    for grade, old, n in groups:  # `old`: last year's grade, already read through the scale
        total += n
        if grade is not None:
            now[grade] += n
        if old is not None:
            before[old] += n
        if grade in rank and old in rank:
            compared += n
            improved += n if rank[grade] < rank[old] else 0
            worsened += n if rank[grade] > rank[old] else 0

    def ordered(counter: Counter[str]) -> dict[str, int]:
        result = {letter: counter.pop(letter, 0) for letter in scale.letters}
        result.update(sorted(counter.items()))
        return result

    return GradeTally(
        label=label,
        total=total,
        graded=sum(now.values()),
        counts=ordered(now),
        previous_counts=ordered(before),
        compared=compared,
        improved=improved,
        worsened=worsened,
    )


def compare_rounds(
    session: Session,
    *,
    round_id: int,
    good: Sequence[str] | None = None,
    department_id: int | None = None,
    require_previous: bool = False,
    per_department: bool = True,
) -> Comparison:
    """Grades of the round and of last year for the same slots: overall, per goal and per
    department.

    `good` overrides the plan's setting (`plan edit --good-grades`), which overrides the top
    half of the round's scale. `department_id` narrows everything to that department's
    slots. `require_previous` refuses (NotFound) a round without a previous one instead of
    comparing with nothing. `per_department=False` leaves `departments` empty and skips
    reading their names (the chat's status shows the total and the goals only).
    """
    rnd = get_round(session, round_id=round_id)
    plan = rnd.plan
    scale = GradeScale.from_json(rnd.scale)
    letters = good_grades(scale, good or plan_settings(plan).good_grades)
    prev = previous_round(session, rnd=rnd)
    if prev is None and require_previous:
        raise NotFound(
            msg("compare.no_earlier_round", plan=plan.name, year=FiscalYear(rnd.fiscal_year))
        )
    columns = [Assignment.department_id, Item.node_id, Report.grade]
    query = (
        select(*columns)
        .select_from(Report)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Report.round_id == rnd.id)
    )
    if prev is not None:  # no previous round: no join at all (not a join that finds nothing)
        before = previous_join(rnd, prev)
        query = before.apply(query.add_columns(before.report.grade))
        columns.append(before.report.grade)
    if department_id is not None:
        query = query.where(Assignment.department_id == department_id)
    rows = session.execute(query.add_columns(func.count()).group_by(*columns)).all()
    # Last year's grade read through this year's scale, once per distinct value.
    distinct = {row[-2] for row in rows if row[-2] is not None} if prev is not None else set()
    read_as = {value: scale.match(value) or value for value in distinct}
    nodes, tops = top_ancestors(session, plan_id=plan.id)
    everything: list[Group] = []
    per_goal: dict[int, list[Group]] = {}
    per_department_groups: dict[int, list[Group]] = {}
    for dept, node, grade, *last, n in rows:
        group = (grade, read_as.get(last[0]) if last and last[0] is not None else None, int(n))
        everything.append(group)
        top = tops.get(node) if node is not None else None
        if top is not None:
            per_goal.setdefault(top, []).append(group)
        per_department_groups.setdefault(dept, []).append(group)
    known = (
        named_departments(session, set(per_department_groups), plan_id=plan.id)
        if per_department
        else {}
    )
    labels = [str(label) for label in plan.level_labels]
    unit_is_item = _one_department_per_item(session, plan_id=plan.id)
    return Comparison(
        round_id=rnd.id,
        round_label=reiwa_label(rnd.fiscal_year),
        plan_name=plan.name,
        previous_round_id=prev.id if prev is not None else None,
        previous_label=reiwa_label(prev.fiscal_year) if prev is not None else None,
        fiscal_year=rnd.fiscal_year,
        previous_fiscal_year=prev.fiscal_year if prev is not None else None,
        scale=scale,
        good=letters,
        unit=plan.item_label if unit_is_item else GENERIC_UNIT,
        unit_is_item=unit_is_item,
        top_label=labels[0] if labels else "",
        overall=_tally("", everything, scale),
        goals=tuple(
            _tally(nodes[top].display, per_goal[top], scale)
            for top in sorted(per_goal, key=lambda top: nodes[top].position)
        ),
        departments=tuple(
            _tally(known[dept].name, per_department_groups[dept], scale)
            for dept in sorted(known, key=lambda d: known[d].sort_key)
        ),
    )


def _one_department_per_item(session: Session, *, plan_id: int) -> bool:
    """Every item of the plan has (at most) one department: a slot is an item."""
    shared = session.scalar(
        select(func.count()).select_from(
            select(Assignment.item_id)
            .join(Item, Item.id == Assignment.item_id)
            .where(Item.plan_id == plan_id)
            .group_by(Assignment.item_id)
            .having(func.count() > 1)
            .subquery()
        )
    )
    return not shared
