"""Recording answers: validation, revisions, duplicates — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound, PermissionDenied, RoundClosed
from handlers.organization.directory import find_department
from handlers.reporting.reports import (
    ANSWERED,
    CHANNEL_PROXY,
    DUPLICATE,
    REVISED,
    STORED,
    UNCHANGED,
    AnswerInput,
    department_slots,
    submit_answer,
    submit_answers,
)
from handlers.reporting.rounds import ANSWER, close_round, open_round, resolve_round
from models import Report, ReportRevision, Round, utcnow
from tests.factories import build_plan, open_test_round


@pytest.fixture
def plan_round(session: Session) -> tuple[int, int, int]:
    plan = build_plan(
        session,
        items=[("広報紙で周知", ["女性センター", "秘書広報課"]), ("講座の開催", ["女性センター"])],
    )
    info = open_test_round(session, plan)
    center = find_department(session, organization_id=plan.organization_id, name="女性センター")
    pr = find_department(session, organization_id=plan.organization_id, name="秘書広報課")
    return info.id, center.id, pr.id


def answer(
    session: Session,
    round_id: int,
    dept: int,
    number: int,
    grade: str,
    comment: str | None,
    **kw: str,
):  # type: ignore[no-untyped-def]
    return submit_answer(
        session,
        round_id=round_id,
        department_id=dept,
        item_number=number,
        grade=grade,
        comment=comment,
        reporter="U1",
        channel="test",
        **kw,
    )


def test_open_round_creates_one_slot_per_assignment(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, _, _ = plan_round
    assert session.scalar(select(func.count()).where(Report.round_id == round_id)) == 3
    rnd = session.get(Round, round_id)
    assert rnd is not None and rnd.scale[0] == {
        "letter": "A",
        "label": "計画以上",
        "band": "100%～",
    }


def test_full_width_and_lower_case_are_accepted(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, center, _ = plan_round
    out = answer(session, round_id, center, 1, "ｂ", "市広報紙で周知した")
    assert (out.status, out.grade, out.comment, out.revision) == (
        STORED,
        "B",
        "市広報紙で周知した",
        1,
    )


def test_revisions_are_kept_and_same_answer_is_not_stored_twice(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, center, _ = plan_round
    answer(session, round_id, center, 1, "B", "初回")
    assert answer(session, round_id, center, 1, "B", "初回").status == UNCHANGED
    revised = answer(session, round_id, center, 1, "A", None)
    assert (revised.status, revised.grade, revised.comment, revised.revision) == (
        REVISED,
        "A",
        "初回",
        2,
    )
    grades = session.scalars(select(ReportRevision.grade).order_by(ReportRevision.revision)).all()
    assert grades == ["B", "A"]


def test_redelivered_event_is_stored_once(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, center, _ = plan_round
    assert answer(session, round_id, center, 2, "C", "x", source_key="slack:Ev1").status == STORED
    assert (
        answer(session, round_id, center, 2, "A", "y", source_key="slack:Ev1").status == DUPLICATE
    )
    assert session.scalar(select(func.count()).select_from(ReportRevision)) == 1


def test_a_batch_writes_every_column_of_the_slots_and_their_revisions(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    """PostgreSQL writes a batch in one statement (arrays unnested), SQLite in two
    executemanys: both store the same rows. Item 1 answered twice in the batch: two
    revisions, the later one current; the office's proxy entry is current as `office`."""
    round_id, center, _ = plan_round
    answer(session, round_id, center, 2, "C", "前回")
    when = utcnow()
    result = submit_answers(
        session,
        round_id=round_id,
        department_id=center,
        answers=[
            AnswerInput(1, "B", "一回目", "k:1", message_key="m1"),
            AnswerInput(2, "a", None, None, note="添付: 資料.pdf"),
            AnswerInput(1, "A", "二回目", "k:2"),
        ],
        reporter="U9",
        channel="slack",
        now=when,
        acting_as_office=True,
    )
    assert [(o.status, o.item_number, o.revision) for o in result.outcomes] == [
        (STORED, 1, 1),
        (REVISED, 2, 2),
        (REVISED, 1, 2),
    ]
    session.expire_all()
    current = {
        r.assignment.item.number: (r.revision, r.grade, r.comment, r.reporter, r.channel)
        for r in session.scalars(
            select(Report).where(Report.round_id == round_id, Report.grade.is_not(None))
        )
    }
    assert current == {
        1: (2, "A", "二回目", "U9", CHANNEL_PROXY),
        2: (2, "A", "前回\n添付: 資料.pdf", "U9", CHANNEL_PROXY),
    }
    assert {
        r.submitted_at for r in session.scalars(select(Report).where(Report.reporter == "U9"))
    } == {when}
    revisions = session.execute(
        select(
            ReportRevision.revision,
            ReportRevision.grade,
            ReportRevision.comment,
            ReportRevision.reporter,
            ReportRevision.channel,
            ReportRevision.source_key,
            ReportRevision.message_key,
            ReportRevision.kind,
            ReportRevision.proxy,
            ReportRevision.created_at,
            ReportRevision.withdrawn_at,
        )
        .where(ReportRevision.reporter == "U9")
        .order_by(ReportRevision.id)
    ).all()
    assert [tuple(r) for r in revisions] == [
        (1, "B", "一回目", "U9", "slack", "k:1", "m1", ANSWERED, True, when, None),
        (2, "A", "前回\n添付: 資料.pdf", "U9", "slack", None, None, ANSWERED, True, when, None),
        (2, "A", "二回目", "U9", "slack", "k:2", None, ANSWERED, True, when, None),
    ]


def test_bad_grade_says_which_grades_exist(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, center, _ = plan_round
    with pytest.raises(InvalidInput, match="A／B／C／D"):
        answer(session, round_id, center, 1, "E", "")


def test_other_departments_item_is_refused(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, _, pr = plan_round
    with pytest.raises(PermissionDenied, match="秘書広報課の担当ではありません"):
        answer(session, round_id, pr, 2, "B", "")
    with pytest.raises(NotFound, match="項目 99"):
        answer(session, round_id, pr, 99, "B", "")


def test_comment_over_3000_characters_is_refused(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, center, _ = plan_round
    answer(session, round_id, center, 1, "B", "あ" * 3000)
    with pytest.raises(InvalidInput, match="3001字"):
        answer(session, round_id, center, 1, "B", "あ" * 3001)


def test_closed_round_takes_no_answers(session: Session, plan_round: tuple[int, int, int]) -> None:
    round_id, center, _ = plan_round
    rnd = session.get(Round, round_id)
    assert rnd is not None
    close_round(session, rnd=rnd)
    with pytest.raises(RoundClosed):
        answer(session, round_id, center, 1, "B", "")


def test_slots_show_last_years_answer(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    last = open_test_round(session, plan, year=2022)
    dept = find_department(session, organization_id=plan.organization_id, name="女性センター")
    answer(session, last.id, dept.id, 1, "C", "前年のコメント")
    this = open_test_round(session, plan, year=2023)
    [slot] = department_slots(session, round_id=this.id, department_id=dept.id)
    assert (slot.grade, slot.previous_grade, slot.previous_comment) == (None, "C", "前年のコメント")
    assert slot.path == ("I 目標",)


def test_latest_open_round_is_the_default(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    open_test_round(session, plan, year=2022)
    newer = open_test_round(session, plan, year=2023)
    assert (
        resolve_round(session, organization_id=plan.organization_id, ref=None, purpose=ANSWER).id
        == newer.id
    )
    with pytest.raises(InvalidInput, match="すでにあります"):
        open_test_round(session, plan, year=2023)


def test_deadline_before_opening_is_refused(session: Session) -> None:
    from datetime import date

    plan = build_plan(session, items=[("周知", ["女性センター"])])
    with pytest.raises(InvalidInput, match="より前"):
        open_round(
            session,
            plan=plan,
            fiscal_year=2023,
            deadline=date(2024, 3, 1),
            opens_on=date(2024, 4, 1),
        )


def test_slots_can_be_narrowed_to_one_item(
    session: Session, plan_round: tuple[int, int, int]
) -> None:
    round_id, center, _ = plan_round
    [slot] = department_slots(session, round_id=round_id, department_id=center, item_number=2)
    assert (slot.item_number, slot.item_title) == (2, "講座の開催")
    assert department_slots(session, round_id=round_id, department_id=center, item_number=9) == []
