"""Status numbers for a small round with answers from several departments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from handlers.organization.directory import find_department
from handlers.reporting.reports import submit_answer
from handlers.reporting.status import summarize
from models import Assignment, Item, Plan, PlanNode
from tests.factories import build_plan, open_test_round


def test_status_counts_grades_departments_and_levels(session: Session) -> None:
    plan = build_plan(
        session,
        items=[
            ("周知", ["女性センター", "秘書広報課"]),
            ("講座", ["女性センター"]),
            ("研修", ["職員課"]),
        ],
    )
    # Put item 3 under a second top-level node with a child, to exercise the hierarchy walk.
    goal2 = PlanNode(plan_id=plan.id, depth=0, code="II", title="目標2", position=1)
    session.add(goal2)
    session.flush()
    sub = PlanNode(
        plan_id=plan.id, parent_id=goal2.id, depth=1, code="(1)", title="施策", position=2
    )
    session.add(sub)
    session.flush()
    item3 = session.query(Item).filter_by(plan_id=plan.id, number=3).one()
    item3.node_id = sub.id
    session.flush()
    info = open_test_round(session, plan, deadline=date(2024, 5, 31))
    org = plan.organization_id
    center = find_department(session, organization_id=org, name="女性センター").id
    staff = find_department(session, organization_id=org, name="職員課").id
    for number, grade in [(1, "B"), (2, "A")]:
        submit_answer(
            session,
            round_id=info.id,
            department_id=center,
            item_number=number,
            grade=grade,
            comment="",
            reporter="t",
            channel="test",
        )
    submit_answer(
        session,
        round_id=info.id,
        department_id=staff,
        item_number=3,
        grade="b",
        comment="",
        reporter="t",
        channel="test",
    )

    before = summarize(session, round_id=info.id, today=date(2024, 5, 31))
    assert (before.total, before.submitted, before.percent) == (4, 3, 75.0)
    assert before.grades == {"A": 1, "B": 2, "C": 0, "D": 0}
    assert before.overdue_departments == ()
    after = summarize(session, round_id=info.id, today=date(2024, 6, 1))
    assert [(d.name, d.total, d.submitted, d.overdue) for d in after.departments] == [
        ("女性センター", 2, 2, 0),
        ("秘書広報課", 1, 0, 1),
        ("職員課", 1, 1, 0),
    ]
    assert [(lv.label, lv.total, lv.submitted) for lv in after.levels] == [
        ("I", 3, 2),
        ("II", 1, 1),
    ]
    own = summarize(session, round_id=info.id, today=date(2024, 6, 1), department_id=center)
    assert (own.total, own.submitted, own.grades["A"]) == (2, 2, 1)
    data = after.to_json()
    assert {"total", "submitted", "percent", "grades", "departments"} <= data.keys()


def _statements(session: Session, call: Callable[[], object]) -> int:
    """How many SQL statements `call` sends (counted on the session's connection)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    session.expire_all()
    conn = session.connection()
    event.listen(conn, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(conn, "before_cursor_execute", record)
    return len(statements)


def _deep_plan(session: Session, *, name: str, goals: int, per_node: int) -> int:
    """A three-level plan with `goals` × 2 × 2 nodes and `per_node` items under each leaf."""
    plan = build_plan(session, name=name, items=[])
    number = 0
    for g in range(goals):
        goal = PlanNode(plan_id=plan.id, depth=0, code=f"G{g}", title="目標", position=g * 100)
        session.add(goal)
        session.flush()
        for c in range(2):
            issue = PlanNode(
                plan_id=plan.id,
                parent_id=goal.id,
                depth=1,
                code=f"{c}",
                title="課題",
                position=g * 100 + c * 10 + 1,
            )
            session.add(issue)
            session.flush()
            for m in range(2):
                leaf = PlanNode(
                    plan_id=plan.id,
                    parent_id=issue.id,
                    depth=2,
                    code=f"({m})",
                    title="施策",
                    position=g * 100 + c * 10 + m + 2,
                )
                session.add(leaf)
                session.flush()
                for _ in range(per_node):
                    number += 1
                    item = Item(
                        plan_id=plan.id,
                        node_id=leaf.id,
                        number=number,
                        code=str(number),
                        title="事業",
                        position=number,
                    )
                    session.add(item)
                    session.flush()
                    for pos, dept in enumerate(("女性センター", "職員課")):
                        session.add(
                            Assignment(
                                item_id=item.id,
                                department_id=find_department(
                                    session, organization_id=plan.organization_id, name=dept
                                ).id,
                                position=pos,
                            )
                        )
    session.flush()
    return open_test_round(session, session.get_one(Plan, plan.id)).id


def test_summarize_takes_at_most_five_statements_whatever_the_plan_size(session: Session) -> None:
    build_plan(session, name="部署", items=[("周知", ["女性センター", "職員課"])])
    small = _deep_plan(session, name="小", goals=1, per_node=1)
    large = _deep_plan(session, name="大", goals=6, per_node=5)
    counts = [
        _statements(session, lambda r=r: summarize(session, round_id=r, today=date(2024, 6, 1)))
        for r in (small, large)
    ]
    assert counts[0] == counts[1] <= 5
    summary = summarize(session, round_id=large, today=date(2024, 6, 1))
    assert summary.total == 6 * 4 * 5 * 2
    assert [lv.label for lv in summary.levels] == [f"G{g}" for g in range(6)]
    assert all(lv.total == 40 for lv in summary.levels)
