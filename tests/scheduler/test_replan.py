"""Moving a round's deadline (`hokoku round edit`): reminders and chases follow the new date,
and what was planned for the old date but not delivered yet never goes out."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models import AuditEntry, Notification
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.replan import REPLANNED
from scheduler.runner import tick
from tests.bot.cli_helpers import make_invoke
from tests.conftest import Db
from tests.scheduler.doubles import ManualClock, jst
from tests.scheduler.scenario import Scenario, build_scenario
from tests.scheduler.test_runner import sent_days

CAL = BusinessCalendar()


def run(db: Db, sc: Scenario, start: date, end: date) -> None:
    """Tick at 10:00 JST on every day from start to end."""
    clock = ManualClock(jst(start))
    day = start
    while day <= end:
        clock.set(jst(day, 10))
        tick(db.factory, sc.messengers, clock.now(), calendar=CAL, worker="test")
        day += timedelta(days=1)


def test_extended_deadline_replans_reminders_and_drops_the_old_chase(db: Db) -> None:
    sc = build_scenario(db.factory, deadline=date(2024, 5, 10))
    run(db, sc, date(2024, 4, 1), date(2024, 5, 13))
    old_plan = [
        ("request", date(2024, 4, 1)),
        *[("reminder", date(2024, m, d)) for m, d in ((4, 23), (5, 1), (5, 8), (5, 9))],
    ]
    assert sent_days(sc.line.to("G-KOSO")) == old_plan
    # 5/14 morning: the first chase is planned and enqueued, but not delivered yet.
    tick(db.factory, sc.messengers, jst(date(2024, 5, 14)), calendar=CAL, deliver=False)
    with transaction(db.factory) as s:
        waiting = s.scalars(select(Notification.key).where(Notification.status == "pending"))
        assert {k.split(":")[2] for k in waiting} == {"overdue", "digest"}

    # The office extends the deadline to 5/31 (a Friday).
    edited = make_invoke(db)(
        "round", "edit", "--round", str(sc.round_id), "--deadline", "2024-05-31"
    )
    assert edited.exit_code == 0, edited.output
    assert "2024-05-10 から 2024-05-31 に変えました" in edited.stdout
    assert "送信待ちだった旧締切の通知" in edited.stdout

    run(db, sc, date(2024, 5, 14), date(2024, 6, 11))
    new_plan = [
        *[("reminder", date(2024, 5, d)) for d in (17, 24, 29, 30)],  # 10, 5, 2, 1 business days
        *[("overdue", date(2024, 6, d)) for d in (4, 6, 10)],  # every 2 business days after
    ]
    assert sent_days(sc.line.to("G-KOSO")) == old_plan + new_plan
    office_digests = [d for p, d in sent_days(sc.slack.to("U-OFFICE")) if p == "digest"]
    assert date(2024, 5, 14) not in office_digests  # daily digests were for the old deadline
    assert date(2024, 5, 20) in office_digests  # weekly (Monday) again until 5/31
    with transaction(db.factory) as s:
        dropped = s.scalars(
            select(Notification.key).where(Notification.last_error == REPLANNED)
        ).all()
        assert dropped and all(":2024-05-14" in key for key in dropped)
        [audit] = s.scalars(select(AuditEntry).where(AuditEntry.action == "round_edit"))
        assert (audit.detail["old"], audit.detail["new"]) == ("2024-05-10", "2024-05-31")


def test_reopened_round_with_a_new_deadline_reminds_again(db: Db) -> None:
    sc = build_scenario(db.factory, deadline=date(2024, 5, 10))
    run(db, sc, date(2024, 4, 1), date(2024, 5, 10))
    cli = make_invoke(db)
    assert cli("round", "close", "--round", str(sc.round_id)).exit_code == 0
    sent_before = len(sc.line.to("G-KOSO"))
    run(db, sc, date(2024, 5, 13), date(2024, 5, 20))  # closed: no chase at all
    assert len(sc.line.to("G-KOSO")) == sent_before

    reopened = cli("round", "reopen", "--deadline", "2024-06-07")
    assert reopened.exit_code == 0, reopened.output
    assert (
        f"回 {sc.round_id}（令和5年度 テスト計画・受付中）の受付を再開しました" in reopened.stdout
    )
    run(db, sc, date(2024, 5, 21), date(2024, 6, 7))
    later = sent_days(sc.line.to("G-KOSO"))[sent_before:]
    # 10 business days before 6/7 is 5/24; 5, 2, 1 → 5/31, 6/5, 6/6.
    assert later == [("reminder", date(2024, m, d)) for m, d in ((5, 24), (5, 31), (6, 5), (6, 6))]
