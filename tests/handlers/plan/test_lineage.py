"""A new plan period (第6次 → 第7次) still shows last year's answers, through item links."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.organization.directory import find_department
from handlers.plan.lineage import continue_plan
from handlers.reporting.reports import department_slots, submit_answer
from handlers.reporting.rounds import previous_round
from models import Plan, Round
from tests.factories import build_plan, open_test_round


def _answer(session: Session, round_id: int, dept: int, number: int, grade: str, text: str) -> None:
    submit_answer(
        session,
        round_id=round_id,
        department_id=dept,
        item_number=number,
        grade=grade,
        comment=text,
        reporter="t",
        channel="test",
    )


@pytest.fixture
def plans(session: Session) -> tuple[Plan, Plan, int]:
    """第6次 answered in FY2025; 第7次 renames 講座 and reorders, starting FY2026."""
    old = build_plan(
        session,
        name="第6次",
        items=[
            ("広報紙で周知", ["女性センター"]),
            ("講座", ["女性センター"]),
            ("相談", ["福祉課"]),
        ],
    )
    last = open_test_round(session, old, year=2025)
    center = find_department(session, organization_id=old.organization_id, name="女性センター")
    _answer(session, last.id, center.id, 1, "B", "年4回掲載")
    _answer(session, last.id, center.id, 2, "C", "2回開催")
    new = build_plan(
        session,
        name="第7次",
        items=[
            ("講座の開催", ["女性センター"]),
            ("広報紙で周知", ["女性センター"]),
            ("新規", ["福祉課"]),
        ],
    )
    return old, new, center.id


def test_titles_link_items_and_the_first_round_shows_last_year(
    session: Session, plans: tuple[Plan, Plan, int]
) -> None:
    old, new, center = plans
    result = continue_plan(session, plan_id=new.id, predecessor_id=old.id)
    assert (result.by_map, result.by_title) == (0, 1)
    assert [(i.number, i.display) for i in result.unlinked] == [(1, "1 講座の開催"), (3, "3 新規")]
    this = open_test_round(session, new, year=2026)
    prev = previous_round(session, rnd=session.get_one(Round, this.id))
    assert prev is not None and prev.plan_id == old.id and prev.fiscal_year == 2025
    slots = department_slots(session, round_id=this.id, department_id=center)
    assert [(s.item_title, s.previous_grade, s.previous_comment) for s in slots] == [
        ("講座の開催", None, ""),
        ("広報紙で周知", "B", "年4回掲載"),
    ]


def test_a_mapping_table_links_renamed_items(
    session: Session, plans: tuple[Plan, Plan, int], tmp_path: Path
) -> None:
    old, new, center = plans
    mapping = tmp_path / "map.csv"
    mapping.write_text("旧番号,新番号\n2,1\n3,\n", encoding="utf-8")
    result = continue_plan(session, plan_id=new.id, predecessor_id=old.id, mapping=mapping)
    assert (result.by_map, result.by_title) == (1, 1)
    this = open_test_round(session, new, year=2026)
    slots = department_slots(session, round_id=this.id, department_id=center)
    assert [(s.item_number, s.previous_grade, s.previous_comment) for s in slots] == [
        (1, "C", "2回開催"),
        (2, "B", "年4回掲載"),
    ]
    # The second year of the new plan looks at its own first year again.
    _answer(session, this.id, center, 1, "A", "3回開催")
    following = open_test_round(session, new, year=2027)
    [first, _] = department_slots(session, round_id=following.id, department_id=center)
    assert (first.previous_grade, first.previous_comment) == ("A", "3回開催")


def test_mapping_problems_are_listed_together(
    session: Session, plans: tuple[Plan, Plan, int], tmp_path: Path
) -> None:
    old, new, _ = plans
    mapping = tmp_path / "map.csv"
    mapping.write_text("old,new\n9,1\n1,8\n2,2\nx,3\n3,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        continue_plan(session, plan_id=new.id, predecessor_id=old.id, mapping=mapping)
    message = caught.value.message
    for part in (
        "2行目: 旧番号 9 は前の計画にありません",
        "3行目: 新番号 8 は新しい計画にありません",
        "5行目: 旧番号「x」が番号ではありません",
        "6行目: 新番号 2 が 4行目にもあります",
    ):
        assert part in message


def test_a_plan_cannot_continue_itself_or_its_successor(
    session: Session, plans: tuple[Plan, Plan, int]
) -> None:
    old, new, _ = plans
    with pytest.raises(InvalidInput, match="自分自身"):
        continue_plan(session, plan_id=new.id, predecessor_id=new.id)
    continue_plan(session, plan_id=new.id, predecessor_id=old.id)
    with pytest.raises(InvalidInput, match="循環"):
        continue_plan(session, plan_id=old.id, predecessor_id=new.id)
