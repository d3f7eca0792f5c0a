"""Withdrawing a chat message's answers, on SQLite and PostgreSQL: back to the answer
before, or to unanswered; a later answer from another message stays; a closed round is
not touched; the history shows every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from handlers.organization.directory import find_department
from handlers.reporting.history import slot_history
from handlers.reporting.reports import AnswerInput, department_slots, submit_answers
from handlers.reporting.rounds import close_round
from handlers.reporting.status import answer_stamp
from handlers.reporting.withdrawals import message_answered, withdraw_message
from models import WITHDRAWAL, Round, utcnow
from tests.factories import build_plan, open_test_round


@pytest.fixture
def slots(session: Session) -> tuple[int, int]:
    plan = build_plan(
        session, items=[("広報紙で周知", ["女性センター"]), ("講座", ["女性センター"])]
    )
    info = open_test_round(session, plan)
    center = find_department(session, organization_id=plan.organization_id, name="女性センター")
    return info.id, center.id


def say(session: Session, where: tuple[int, int], message: str, *answers: tuple[int, str]) -> None:
    round_id, department_id = where
    submit_answers(
        session,
        round_id=round_id,
        department_id=department_id,
        answers=[
            AnswerInput(
                item, grade, f"{message}の{item}", f"line:{message}#{item}", message_key=message
            )
            for item, grade in answers
        ],
        reporter="U1",
        channel="line",
        now=utcnow(),
    )


def grades(session: Session, where: tuple[int, int]) -> dict[int, str | None]:
    round_id, department_id = where
    return {
        s.item_number: s.grade
        for s in department_slots(session, round_id=round_id, department_id=department_id)
    }


def withdraw(session: Session, message: str, **kw: object) -> list[tuple[int, str | None, bool]]:
    result = withdraw_message(
        session,
        message_key=message,
        reporter="U1",
        channel="line",
        now=utcnow(),
        **kw,  # type: ignore[arg-type]
    )
    return [(w.item_number, w.grade, w.current) for w in result.withdrawn]


def test_withdrawing_goes_back_to_the_answer_before_then_to_unanswered(
    session: Session, slots: tuple[int, int]
) -> None:
    say(session, slots, "m1", (1, "C"), (2, "B"))
    say(session, slots, "m2", (1, "A"))
    assert withdraw(session, "m2") == [(1, "C", True)]
    assert grades(session, slots) == {1: "C", 2: "B"}
    assert withdraw(session, "m2") == []  # idempotent
    assert withdraw(session, "m1") == [(1, None, True), (2, None, True)]
    assert grades(session, slots) == {1: None, 2: None}
    history = slot_history(session, round_id=slots[0], department_id=slots[1], item_number=1)
    assert [(h.kind, h.grade, h.withdrawn) for h in history] == [
        ("answer", "C", True),
        ("answer", "A", True),
        (WITHDRAWAL, "C", False),
        (WITHDRAWAL, None, False),
    ]
    assert message_answered(session, message_key="m1") is None


def test_a_later_answer_from_another_message_stays(
    session: Session, slots: tuple[int, int]
) -> None:
    say(session, slots, "m1", (1, "C"))
    say(session, slots, "m2", (1, "A"))
    assert withdraw(session, "m1") == [(1, "A", False)]
    assert grades(session, slots)[1] == "A"
    # m2 withdrawn later: nothing live before it, m1's answer was taken back.
    assert withdraw(session, "m2") == [(1, None, True)]


def test_an_edit_keeps_the_items_it_answers_again(session: Session, slots: tuple[int, int]) -> None:
    say(session, slots, "m1", (1, "C"), (2, "B"))
    assert withdraw(session, "m1", keep_items={1}) == [(2, None, True)]
    assert grades(session, slots) == {1: "C", 2: None}
    answered = message_answered(session, message_key="m1")
    assert answered is not None and answered.department_id == slots[1]


def test_a_closed_rounds_answers_are_not_withdrawn(
    session: Session, slots: tuple[int, int]
) -> None:
    say(session, slots, "m1", (1, "C"))
    close_round(session, rnd=session.get_one(Round, slots[0]), now=utcnow() + timedelta(seconds=1))
    result = withdraw_message(
        session, message_key="m1", reporter="U1", channel="line", now=utcnow()
    )
    assert result.withdrawn == () and [c.item_number for c in result.closed] == [1]
    assert grades(session, slots)[1] == "C"


def test_the_dashboards_stamp_changes_when_a_withdrawal_restores_an_older_answer(
    session: Session, slots: tuple[int, int]
) -> None:
    """Same number of answers, same latest time after the withdrawal: only the revisions
    tell the states apart, and the console's dashboard must redraw."""
    say(session, slots, "m1", (1, "C"))
    say(session, slots, "m2", (1, "A"))
    say(session, slots, "m3", (2, "B"))
    rnd = session.get_one(Round, slots[0])
    before = answer_stamp(session, rnd=rnd)
    assert withdraw(session, "m2") == [(1, "C", True)]
    assert answer_stamp(session, rnd=rnd) != before
