"""The Nishitokyo sample plan (111 items, 35 departments) as the worst case for payload sizes.

Long item titles, three-level hierarchy paths, 35 departments with long names, and one
department (協働コミュニティ課) owning 60+ items; answers carry 3000-character comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from handlers.plan.table_import import import_plan
from handlers.reporting.reports import MAX_COMMENT, department_slots, submit_answer
from handlers.reporting.rounds import open_round
from models import Assignment, Department, Plan
from models.db import transaction
from tests.conftest import Db

BIG = "協働コミュニティ課"


@dataclass(frozen=True)
class RealPlan:
    round_id: int
    big_id: int  # 協働コミュニティ課
    big_items: list[int]
    departments: dict[str, int]


def load(db: Db, *, organization_id: int, samples_dir: Path) -> RealPlan:
    with transaction(db.factory) as s:
        imported = import_plan(
            s, organization_id=organization_id, path=samples_dir / "nishitokyo_plan.csv"
        )
        plan = s.get_one(Plan, imported.plan_id)
        rnd = open_round(
            s, plan=plan, fiscal_year=2023, deadline=date(2024, 5, 10), opens_on=date(2024, 4, 1)
        )
        departments = {
            d.name: d.id
            for d in s.scalars(
                select(Department).where(Department.organization_id == organization_id)
            )
        }
        counts = dict(
            s.execute(
                select(Assignment.department_id, func.count()).group_by(Assignment.department_id)
            ).all()
        )
        big_id = departments[BIG]
        assert counts[big_id] >= 60, counts[big_id]
        assert len(departments) == 35
        items = [v.item_number for v in department_slots(s, round_id=rnd.id, department_id=big_id)]
    return RealPlan(rnd.id, big_id, items, departments)


def long_comment(number: int) -> str:
    """A comment of exactly the allowed maximum."""
    head = f"項目{number}の取組状況: "
    return (head + "市民向け講座と広報紙での周知を継続して実施した。" * 200)[:MAX_COMMENT]


def answer_with_long_comments(db: Db, plan: RealPlan, numbers: list[int]) -> None:
    with transaction(db.factory) as s:
        for number in numbers:
            submit_answer(
                s,
                round_id=plan.round_id,
                department_id=plan.big_id,
                item_number=number,
                grade="B",
                comment=long_comment(number),
                reporter="test",
                channel="test",
            )
