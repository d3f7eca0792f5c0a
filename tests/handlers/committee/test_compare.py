"""This year against last year: grade counts and movement overall, per goal, per department,
within one plan and across plan periods (第6次 → 第7次)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from handlers.committee.compare import compare_rounds
from handlers.errors import NotFound
from handlers.organization.directory import find_department
from handlers.plan.lineage import continue_plan
from handlers.reporting.reports import submit_answer
from models import Plan
from tests.factories import build_plan, open_test_round
from tests.statements import counting


def _answer(session: Session, round_id: int, answers: list[tuple[int, int, str]]) -> None:
    for dept, number, grade in answers:
        submit_answer(
            session,
            round_id=round_id,
            department_id=dept,
            item_number=number,
            grade=grade,
            comment="",
            reporter="t",
            channel="test",
        )


def _ids(session: Session, plan: Plan, *names: str) -> list[int]:
    org = plan.organization_id
    return [find_department(session, organization_id=org, name=name).id for name in names]


def test_compare_counts_grades_that_rose_fell_or_stayed(session: Session) -> None:
    plan = build_plan(
        session,
        items=[
            ("周知", ["女性センター", "秘書広報課"]),
            ("講座", ["女性センター"]),
            ("研修", ["職員課"]),
        ],
    )
    center, press, staff = _ids(session, plan, "女性センター", "秘書広報課", "職員課")
    last = open_test_round(session, plan, year=2022)
    this = open_test_round(session, plan, year=2023)
    _answer(
        session, last.id, [(center, 1, "C"), (center, 2, "A"), (press, 1, "B"), (staff, 3, "B")]
    )
    _answer(session, this.id, [(center, 1, "B"), (center, 2, "B"), (press, 1, "B")])
    result = compare_rounds(session, round_id=this.id, require_previous=True)
    assert (result.previous_round_id, result.previous_label) == (last.id, "令和4年度")
    # 女性センター item 1: C → B rose; item 2: A → B fell; 秘書広報課 B → B same;
    # 職員課 has not answered this year: unmatched.
    total = result.overall
    assert (total.improved, total.worsened, total.same, total.unmatched) == (1, 1, 1, 1)
    assert (total.counts, total.previous_counts) == (
        {"A": 0, "B": 3, "C": 0, "D": 0},
        {"A": 1, "B": 2, "C": 1, "D": 0},
    )
    assert [(m.label, m.improved, m.worsened, m.same, m.unmatched) for m in result.departments] == [
        ("女性センター", 1, 1, 0, 0),
        ("秘書広報課", 0, 0, 1, 0),
        ("職員課", 0, 0, 0, 1),
    ]
    assert [(g.label, g.improved, g.worsened, g.same, g.unmatched) for g in result.goals] == [
        ("I 目標", 1, 1, 1, 1)
    ]
    data = result.to_json()
    assert data["total"] == {"name": "合計", "rose": 1, "fell": 1, "same": 1, "unmatched": 1}
    assert data["departments"][2] == {  # type: ignore[index]
        "name": "職員課",
        "rose": 0,
        "fell": 0,
        "same": 0,
        "unmatched": 1,
    }
    # The chat's status shows the total and the goals: the same tallies, no department read.
    with counting(session.connection()) as statements:
        brief = compare_rounds(session, round_id=this.id, per_department=False)
    assert (brief.overall, brief.goals, brief.departments) == (result.overall, result.goals, ())
    assert not [s for s in statements if "departments" in s]
    own = compare_rounds(session, round_id=this.id, department_id=center)
    assert (own.overall.improved, own.overall.worsened, own.overall.same) == (1, 1, 0)
    assert [d.label for d in own.departments] == ["女性センター"]
    with pytest.raises(NotFound, match="比較できません"):
        compare_rounds(session, round_id=last.id, require_previous=True)
    alone = compare_rounds(session, round_id=last.id)
    assert alone.previous_round_id is None and alone.overall.compared == 0


def test_the_first_year_of_a_new_plan_compares_with_the_old_plan(session: Session) -> None:
    old = build_plan(
        session,
        name="第6次",
        items=[("広報紙で周知", ["女性センター"]), ("講座", ["女性センター", "福祉課"])],
    )
    center, welfare = _ids(session, old, "女性センター", "福祉課")
    last = open_test_round(session, old, year=2025)
    _answer(session, last.id, [(center, 1, "C"), (center, 2, "A"), (welfare, 2, "B")])
    new = build_plan(
        session,
        name="第7次",
        items=[("講座", ["女性センター", "福祉課"]), ("広報紙で周知", ["女性センター"])],
    )
    continue_plan(session, plan_id=new.id, predecessor_id=old.id)
    this = open_test_round(session, new, year=2026)
    # New item 1 (講座) continues old item 2; new item 2 continues old item 1.
    _answer(session, this.id, [(center, 1, "B"), (welfare, 1, "B"), (center, 2, "B")])
    result = compare_rounds(session, round_id=this.id, require_previous=True)
    assert (result.previous_round_id, result.previous_label) == (last.id, "令和7年度")
    assert (result.overall.improved, result.overall.worsened, result.overall.same) == (1, 1, 1)
    assert result.overall.previous_counts == {"A": 1, "B": 1, "C": 1, "D": 0}
    assert [(d.label, d.improved, d.worsened, d.same) for d in result.departments] == [
        ("女性センター", 1, 1, 0),
        ("福祉課", 0, 0, 1),
    ]
    assert [(g.label, g.total, g.compared) for g in result.goals] == [("I 目標", 3, 3)]


def test_without_a_previous_round_nothing_is_joined(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    only = open_test_round(session, plan, year=2023)
    with counting(session.connection()) as statements:
        result = compare_rounds(session, round_id=only.id)
    assert result.previous_round_id is None and result.overall.total == 1
    grouped = [s for s in statements if "GROUP BY" in s and "reports" in s]
    assert len(grouped) == 1 and "reports_1" not in grouped[0]
