"""Which round "the" round is (answering vs the office's view), reopening, moving the deadline,
and the office's late entry into a closed round."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound, RoundClosed
from handlers.i18n import translator
from handlers.organization.directory import find_department
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import (
    ANSWER,
    VIEW,
    close_round,
    edit_round,
    reopen_round,
    resolve_round,
    round_caption,
)
from models import AuditEntry, Round
from tests.factories import build_plan, open_test_round


def _round(session: Session, round_id: int) -> Round:
    rnd = session.get(Round, round_id)
    assert rnd is not None
    return rnd


def _audits(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def test_answer_needs_an_open_round_the_office_sees_the_latest(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    org = plan.organization_id
    older = open_test_round(session, plan, year=2022)
    newer = open_test_round(session, plan, year=2023)
    for purpose in (ANSWER, VIEW):
        assert resolve_round(session, organization_id=org, ref=None, purpose=purpose).id == newer.id

    close_round(session, rnd=_round(session, older.id), now=datetime(2024, 6, 1, tzinfo=UTC))
    # An open round comes first for both, even if another round closed later.
    assert resolve_round(session, organization_id=org, ref=None, purpose=VIEW).id == newer.id

    close_round(session, rnd=_round(session, newer.id), now=datetime(2024, 6, 2, tzinfo=UTC))
    with pytest.raises(NotFound, match="受付中の回がありません。"):
        resolve_round(session, organization_id=org, ref=None, purpose=ANSWER)
    latest = resolve_round(session, organization_id=org, ref=None, purpose=VIEW)
    assert latest.id == newer.id  # the most recently closed
    caption = round_caption(latest)
    assert translator("ja").render(caption) == f"回 {newer.id}（令和5年度 テスト計画・受付終了）"
    assert translator("en").render(caption) == f"round {newer.id} (FY2023 テスト計画, closed)"
    # A named round is that round, open or not, for either purpose (typed full-width too).
    typed = str(older.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert resolve_round(session, organization_id=org, ref=typed, purpose=ANSWER).id == older.id


def test_no_round_at_all(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    with pytest.raises(NotFound, match="回がまだありません"):
        resolve_round(session, organization_id=plan.organization_id, ref=None, purpose=VIEW)
    with pytest.raises(ValueError, match="purpose"):
        resolve_round(session, organization_id=plan.organization_id, ref=None, purpose="x")


def test_close_reopen_and_edit_are_audited(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    info = open_test_round(session, plan)
    rnd = _round(session, info.id)
    close_round(session, rnd=rnd, actor="cli:tanaka")
    close_round(session, rnd=rnd, actor="cli:tanaka")  # idempotent: one audit row
    assert [a.detail["round"] for a in _audits(session, "round_close")] == [info.id]

    reopened = reopen_round(session, rnd=rnd, actor="cli:tanaka", deadline=date(2024, 6, 14))
    assert not reopened.closed and reopened.deadline == date(2024, 6, 14)
    reopen_round(session, rnd=rnd, actor="cli:tanaka")  # already open: nothing more
    [reopen] = _audits(session, "round_reopen")
    assert reopen.actor == "cli:tanaka" and reopen.detail["label"] == "令和5年度"
    [edit] = _audits(session, "round_edit")
    assert edit.detail | {"round": 0} == {
        "round": 0,
        "label": "令和5年度",
        "field": "deadline",
        "old": "2024-05-31",
        "new": "2024-06-14",
    }
    edit_round(session, rnd=rnd, actor="x", deadline=date(2024, 6, 14))  # same date: no row
    assert len(_audits(session, "round_edit")) == 1
    with pytest.raises(InvalidInput, match="受付開始日 2024-04-01 より前"):
        edit_round(session, rnd=rnd, actor="x", deadline=date(2024, 3, 31))
    assert rnd.deadline == date(2024, 6, 14)


def test_only_the_office_enters_answers_in_a_closed_round(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    info = open_test_round(session, plan)
    dept = find_department(session, organization_id=plan.organization_id, name="女性センター")
    args = {
        "round_id": info.id,
        "department_id": dept.id,
        "item_number": 1,
        "grade": "B",
        "comment": "紙で届いた",
        "channel": "office",
    }
    open_entry = submit_answer(session, reporter="cli:sato", acting_as_office=True, **args)
    assert open_entry.status == "stored"
    close_round(session, rnd=_round(session, info.id))
    with pytest.raises(RoundClosed, match="締め切られました"):
        submit_answer(session, reporter="U1", **args | {"grade": "A", "channel": "slack"})
    late = submit_answer(
        session, reporter="cli:sato", acting_as_office=True, **args | {"grade": "A"}
    )
    assert (late.status, late.grade, late.revision) == ("revised", "A", 2)
    unchanged = submit_answer(
        session, reporter="cli:sato", acting_as_office=True, **args | {"grade": "A"}
    )
    assert unchanged.status == "unchanged"
    audits = _audits(session, "proxy_answer")
    assert [(a.actor, a.detail["revision"], a.detail["late_entry"]) for a in audits] == [
        ("cli:sato", 1, False),
        ("cli:sato", 2, True),
    ]
