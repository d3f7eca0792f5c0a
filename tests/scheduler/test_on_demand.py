"""Remind now (`scheduler.on_demand`): today's reminder, or after the deadline today's chase,
to the chosen departments that still owe answers; pressed twice, or on top of the
scheduler's own reminder of the day, nothing is sent twice; departments nobody is linked
to are named."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from models import Notification
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.on_demand import remind_now
from scheduler.runner import tick
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan, open_test_round
from tests.scheduler.doubles import RecordingMessenger, jst, link

CAL = BusinessCalendar()


def _setup(db: Db) -> tuple[int, dict[str, int]]:
    with transaction(db.factory) as session:
        plan = build_plan(session, items=SMALL_PLAN)
        rnd = open_test_round(session, plan, deadline=date(2024, 5, 31))
        link(session, "女性センター", platform="slack", external_id="U1")
        link(session, "女性センター", platform="slack", external_id="U2")
        from handlers.organization.directory import find_department

        ids = {
            name: find_department(session, organization_id=plan.organization_id, name=name).id
            for name in ("女性センター", "秘書広報課", "職員課")
        }
    return rnd.id, ids


def test_remind_now_twice_sends_once(db: Db) -> None:
    round_id, ids = _setup(db)
    slack = RecordingMessenger("slack")
    now = jst(date(2024, 5, 24), 14)  # the 5-business-days reminder's day, after send time
    chosen = [ids["女性センター"], ids["秘書広報課"]]
    first = remind_now(
        db.factory, {"slack": slack}, now, round_id=round_id, department_ids=chosen, calendar=CAL
    )
    assert first.purpose == "reminder" and first.enqueued == 2
    assert first.delivery.sent == 2 and first.departments == ("女性センター",)
    assert first.unlinked == ("秘書広報課",)
    assert sorted(s.target.external_id for s in slack.sent) == ["U1", "U2"]
    again = remind_now(
        db.factory, {"slack": slack}, now, round_id=round_id, department_ids=chosen, calendar=CAL
    )
    assert again.enqueued == 0 and again.already == 2 and len(slack.sent) == 2
    # The scheduler's own reminder of the same day is the same message: not sent again.
    later = tick(
        db.factory, {"slack": slack}, jst(date(2024, 5, 24), 15), calendar=CAL, round_id=round_id
    )
    assert later.enqueued == 0 and len(slack.sent) == 2
    assert all(s.key.endswith(":reminder:2024-05-24") for s in slack.sent)


def test_after_the_deadline_it_is_a_chase(db: Db) -> None:
    round_id, ids = _setup(db)
    slack = RecordingMessenger("slack")
    now = jst(date(2024, 6, 4), 11)
    done = remind_now(
        db.factory,
        {"slack": slack},
        now,
        round_id=round_id,
        department_ids=[ids["女性センター"]],
        calendar=CAL,
    )
    assert done.purpose == "overdue" and done.enqueued == 2
    assert all(":overdue:2024-06-04" in s.key for s in slack.sent)
    with transaction(db.factory) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 2
