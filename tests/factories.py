"""Small plans built directly in the database, for tests that are not about importing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.organization.directory import get_or_create_department, get_or_create_organization
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import RoundInfo, open_round
from models import Assignment, Item, Plan, PlanNode, Report

# The small plan most chat tests share: items 1–2 女性センター (1 also 秘書広報課), 3 職員課.
SMALL_PLAN: list[tuple[str, list[str]]] = [
    ("広報紙で周知", ["女性センター", "秘書広報課"]),
    ("講座の開催", ["女性センター"]),
    ("職員研修", ["職員課"]),
]


def build_plan(
    session: Session,
    *,
    name: str = "テスト計画",
    items: list[tuple[str, list[str]]],
    organization: str = "default",
) -> Plan:
    """A one-level plan (`基本目標` › items); items are (title, [departments]) numbered from 1."""
    org = get_or_create_organization(session, name=organization)
    plan = Plan(organization_id=org.id, name=name, level_labels=["基本目標"], item_label="取組項目")
    session.add(plan)
    session.flush()
    node = PlanNode(plan_id=plan.id, depth=0, code="I", title="目標", position=0)
    session.add(node)
    session.flush()
    for number, (title, departments) in enumerate(items, start=1):
        _add_item(session, plan, node, number=number, title=title, departments=departments)
    session.flush()
    return plan


def _add_item(
    session: Session, plan: Plan, node: PlanNode, *, number: int, title: str, departments: list[str]
) -> None:
    """Item `number` (coded and placed by its number) under `node`, with its departments."""
    item = Item(
        plan_id=plan.id,
        node_id=node.id,
        number=number,
        code=str(number),
        title=title,
        position=number,
    )
    session.add(item)
    session.flush()
    for pos, dept_name in enumerate(departments):
        dept = get_or_create_department(
            session, organization_id=plan.organization_id, name=dept_name
        )
        session.add(Assignment(item_id=item.id, department_id=dept.id, position=pos))


def open_test_round(
    session: Session, plan: Plan, *, year: int = 2023, deadline: date = date(2024, 5, 31)
) -> RoundInfo:
    return open_round(
        session, plan=plan, fiscal_year=year, deadline=deadline, opens_on=date(2024, 4, 1)
    )


def answer_every_slot(
    session: Session,
    *,
    round_id: int,
    grade: Callable[[int], str],
    comment: Callable[[int], str],
    reporter: str,
    channel: str,
) -> None:
    """Answer each slot of the round, the n-th (in slot order) with `grade(n)` and
    `comment(n)`: a round filled in as a whole, for tests of what reads it back."""
    slots = session.execute(
        select(Assignment.department_id, Item.number)
        .join(Report, Report.assignment_id == Assignment.id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Report.round_id == round_id)
        .order_by(Report.id)
    ).all()
    for n, (department_id, number) in enumerate(slots):
        submit_answer(
            session,
            round_id=round_id,
            department_id=department_id,
            item_number=number,
            grade=grade(n),
            comment=comment(n),
            reporter=reporter,
            channel=channel,
        )


def build_goals_plan(
    session: Session,
    *,
    name: str = "二層計画",
    goals: list[tuple[str, str, list[tuple[str, list[str]]]]],
    organization: str = "default",
) -> Plan:
    """A two-level plan (`基本目標` › `施策` › items): goals are (goal title, measure title,
    items), coded I, II … and 1, 2 …; items are numbered from 1 across the plan."""
    org = get_or_create_organization(session, name=organization)
    plan = Plan(
        organization_id=org.id,
        name=name,
        level_labels=["基本目標", "施策"],
        item_label="取組項目",
    )
    session.add(plan)
    session.flush()
    number = 0
    for index, (goal_title, measure_title, items) in enumerate(goals):
        goal = PlanNode(
            plan_id=plan.id, depth=0, code="I" * (index + 1), title=goal_title, position=2 * index
        )
        session.add(goal)
        session.flush()
        measure = PlanNode(
            plan_id=plan.id,
            parent_id=goal.id,
            depth=1,
            code=str(index + 1),
            title=measure_title,
            position=2 * index + 1,
        )
        session.add(measure)
        session.flush()
        for title, departments in items:
            number += 1
            _add_item(session, plan, measure, number=number, title=title, departments=departments)
    session.flush()
    return plan
