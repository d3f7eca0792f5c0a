"""This year beside last year: grade counts overall and per goal, and how many went up or down.

Last year's answer of a slot is the one `department_slots` shows (`previous_round` and
`previous_join`: the same item, or the item it continues in the previous plan).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound
from handlers.fiscal import reiwa_label
from handlers.plan_nodes import PlanTree
from handlers.plan_settings import plan_settings
from handlers.rounds import previous_join, previous_round
from handlers.scale import GradeScale
from models import Assignment, Item, Report, Round

GENERIC_UNIT = "件"


@dataclass(frozen=True)
class GradeTally:
    """Counts over a set of slots (item × department) of the round."""

    label: str  # "" = the whole plan; else the goal (top level node) as displayed
    total: int
    graded: int
    counts: dict[str, int]  # this year's grades, scale order first
    previous_counts: dict[str, int]  # last year's grades of the same slots
    compared: int  # slots with a grade in both years (on the round's scale)
    improved: int
    worsened: int

    def good(self, letters: Sequence[str]) -> int:
        return sum(self.counts.get(letter, 0) for letter in letters)


@dataclass(frozen=True)
class Comparison:
    round_id: int
    round_label: str
    plan_name: str
    previous_round_id: int | None
    previous_label: str | None
    scale: GradeScale
    good: tuple[str, ...]  # the grades counted as good
    unit: str  # what is counted: the plan's item label (事業) or 件
    unit_is_item: bool  # every item has one department: one slot = one item
    top_label: str  # the top level's header (基本目標)
    overall: GradeTally
    goals: tuple[GradeTally, ...]


def good_grades(scale: GradeScale, chosen: Sequence[str] | None = None) -> tuple[str, ...]:
    """The chosen letters (checked against the scale), else the top half (rounded up)."""
    if not chosen:
        return tuple(scale.letters[: math.ceil(len(scale.letters) / 2)])
    letters: list[str] = []
    for text in chosen:
        letter = scale.match(text)
        if letter is None:
            raise InvalidInput(
                f"よい評価「{text}」はこの回の評価基準（{scale.hint()}）にありません。"
            )
        letters.append(letter)
    return tuple(letters)


def _tally(label: str, rows: list[tuple[str | None, str | None]], scale: GradeScale) -> GradeTally:
    rank = {letter: index for index, letter in enumerate(scale.letters)}
    now = Counter(g for g, _ in rows if g is not None)
    before = Counter(p for _, p in rows if p is not None)
    improved = worsened = compared = 0
    for grade, last in rows:
        if grade in rank and last is not None and (old := scale.match(last)) in rank:
            compared += 1
            improved += rank[grade] < rank[old]
            worsened += rank[grade] > rank[old]

    def ordered(counter: Counter[str]) -> dict[str, int]:
        result = {letter: counter.pop(letter, 0) for letter in scale.letters}
        result.update(sorted(counter.items()))
        return result

    return GradeTally(
        label=label,
        total=len(rows),
        graded=sum(now.values()),
        counts=ordered(now),
        previous_counts=ordered(before),
        compared=compared,
        improved=improved,
        worsened=worsened,
    )


def compare_rounds(
    session: Session, *, round_id: int, good: Sequence[str] | None = None
) -> Comparison:
    """Grades of the round and of last year for the same slots, overall and per goal.

    `good` overrides the plan's setting (`plan edit --good-grades`), which overrides the top
    half of the round's scale.
    """
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"回 {round_id} が見つかりません（hokoku round list で確認できます）。")
    plan = rnd.plan
    scale = GradeScale.from_json(rnd.scale)
    chosen = good or plan_settings(plan).good_grades
    letters = good_grades(scale, chosen)
    prev = previous_round(session, rnd=rnd)
    before = previous_join(rnd, prev)
    rows = session.execute(
        before.apply(
            select(Item.id, Item.node_id, Report.grade, before.report.grade)
            .select_from(Report)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
        )
        .where(Report.round_id == rnd.id)
        .order_by(Item.position, Assignment.position)
    ).all()
    tree = PlanTree(session, plan_id=plan.id)
    per_goal: dict[int, list[tuple[str | None, str | None]]] = {}
    everything: list[tuple[str | None, str | None]] = []
    for _item_id, node_id, grade, last in rows:
        everything.append((grade, last))
        top = tree.ancestor_at(node_id, 0)
        if top is not None:
            per_goal.setdefault(top.id, []).append((grade, last))
    goals = tuple(
        _tally(ref.display, per_goal[ref.id], scale)
        for ref in sorted(tree.at_depth(0), key=lambda r: r.position)
        if ref.id in per_goal
    )
    multi = session.scalar(
        select(func.count()).select_from(
            select(Assignment.item_id)
            .join(Item, Item.id == Assignment.item_id)
            .where(Item.plan_id == plan.id)
            .group_by(Assignment.item_id)
            .having(func.count() > 1)
            .subquery()
        )
    )
    unit_is_item = not multi
    labels = [str(label) for label in plan.level_labels]
    return Comparison(
        round_id=rnd.id,
        round_label=reiwa_label(rnd.fiscal_year),
        plan_name=plan.name,
        previous_round_id=prev.id if prev is not None else None,
        previous_label=reiwa_label(prev.fiscal_year) if prev is not None else None,
        scale=scale,
        good=letters,
        unit=plan.item_label if unit_is_item else GENERIC_UNIT,
        unit_is_item=unit_is_item,
        top_label=labels[0] if labels else "",
        overall=_tally("", everything, scale),
        goals=goals,
    )
