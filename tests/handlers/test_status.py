"""Status numbers for a small round with answers from several departments."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from handlers.directory import find_department
from handlers.reports import submit_answer
from handlers.status import summarize
from models import Item, PlanNode
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
