"""Per-plan settings of the committee's year: evaluation level and scale, "good" grades."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound
from handlers.i18n import msg
from handlers.normalize import fold, fold_key
from handlers.scale import Grade, GradeScale
from models import Plan

# The committee's own grades when the plan names none (Meguro, Ebina: A–D).
DEFAULT_EVALUATION_SCALE = GradeScale((Grade("A"), Grade("B"), Grade("C"), Grade("D")))


@dataclass(frozen=True)
class PlanSettings:
    plan_id: int
    plan_name: str
    level_labels: tuple[str, ...]
    evaluation_level: int | None  # 1 = top level
    evaluation_scale: GradeScale
    good_grades: tuple[str, ...] | None  # None = top half of each round's scale
    predecessor_id: int | None

    @property
    def evaluation_label(self) -> str | None:
        """The level's header (施策, 課題 …), or None when no level is chosen."""
        if self.evaluation_level is None:
            return None
        index = self.evaluation_level - 1
        return self.level_labels[index] if index < len(self.level_labels) else f"階層{index + 1}"


def plan_settings(plan: Plan) -> PlanSettings:
    return PlanSettings(
        plan_id=plan.id,
        plan_name=plan.name,
        level_labels=tuple(str(label) for label in plan.level_labels),
        evaluation_level=plan.evaluation_level,
        evaluation_scale=(
            GradeScale.from_json(plan.evaluation_scale)
            if plan.evaluation_scale
            else DEFAULT_EVALUATION_SCALE
        ),
        good_grades=tuple(str(g) for g in plan.good_grades) if plan.good_grades else None,
        predecessor_id=plan.predecessor_id,
    )


def parse_level(plan: Plan, text: str) -> int:
    """`2` or a level label (`施策`) → 1-based level of the plan's hierarchy."""
    labels = [str(label) for label in plan.level_labels]
    value = fold(text)
    if value.isdigit():
        level = int(value)
        if 1 <= level <= max(len(labels), 1):
            return level
    for index, label in enumerate(labels):
        if fold_key(label) == fold_key(value):
            return index + 1
    choices = tuple(f"{i + 1}={label}" for i, label in enumerate(labels)) or msg("plan.no_levels")
    raise InvalidInput(msg("plan.level_unknown", level=text, choices=choices))


def parse_good_grades(text: str) -> tuple[str, ...]:
    """`A,B` / `A、B` → ("A", "B"); at least one."""
    grades = tuple(fold(part) for part in text.replace("、", ",").split(",") if fold(part))
    if not grades:
        raise InvalidInput(msg("plan.good_grades_missing"))
    return grades


def edit_plan(
    session: Session,
    *,
    plan_id: int,
    evaluation_level: str | None = None,
    evaluation_scale: str | None = None,
    good_grades: str | None = None,
) -> PlanSettings:
    """Change what is given; `good_grades=""` goes back to the top half of the scale."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(msg("plan.not_found_id", plan=plan_id))
    if evaluation_level is not None:
        plan.evaluation_level = parse_level(plan, evaluation_level)
    if evaluation_scale is not None:
        plan.evaluation_scale = GradeScale.parse(evaluation_scale).to_json()
    if good_grades is not None:
        plan.good_grades = list(parse_good_grades(good_grades)) if good_grades.strip() else None
    session.flush()
    return plan_settings(plan)
