"""A whole round driven by an injected clock: open, reminders, holidays, answers, chasing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from handlers.ports import OfficeDigest, RoundRequest, TextMessage
from models import Notification, Round
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.runner import notify_round, tick
from tests.conftest import Db
from tests.scheduler.doubles import JST, ManualClock, Sent, jst
from tests.scheduler.scenario import (
    BOSAI,
    CENTER,
    JINKEN,
    KOSODATE,
    Scenario,
    answer,
    build_scenario,
)

CAL = BusinessCalendar()


def sent_days(sends: list[Sent]) -> list[tuple[str, date]]:
    """(purpose, due day) per message, from the unique key (`r1:i2:reminder:2024-05-01`)."""
    out: list[tuple[str, date]] = []
    for s in sends:
        parts = s.key.split(":")
        purpose = parts[2]
        day = date.fromisoformat(parts[3]) if len(parts) > 3 else date(2024, 4, 1)
        out.append((purpose, day))
    return out


def run_days(
    db: Db, sc: Scenario, start: date, end: date, events: dict[date, object]
) -> dict[date, int]:
    """Tick three times a day (08:00, 10:00, 15:00 JST); return the number of sends per day."""
    clock = ManualClock(jst(start))
    per_day: dict[date, int] = {}
    day = start
    while day <= end:
        before = len(sc.slack.sent) + len(sc.line.sent)
        for hour in (8, 10, 15):
            clock.set(jst(day, hour))
            tick(db.factory, sc.messengers, clock.now(), calendar=CAL, worker="test")
            event = events.get(day) if hour == 10 else None
            if callable(event):
                event()
        per_day[day] = len(sc.slack.sent) + len(sc.line.sent) - before
        day += timedelta(days=1)
    return per_day


def test_simulated_round_sends_exactly_the_planned_messages(db: Db) -> None:
    sc = build_scenario(db.factory)
    events = {
        date(2024, 4, 2): lambda: answer(db.factory, sc, CENTER, 4),
        date(2024, 4, 5): lambda: answer(db.factory, sc, KOSODATE, 2),
        date(2024, 4, 10): lambda: answer(db.factory, sc, JINKEN, 1, 2),
        date(2024, 5, 8): lambda: answer(db.factory, sc, BOSAI, 5),
    }
    per_day = run_days(db, sc, date(2024, 3, 28), date(2024, 5, 24), events)

    request = [("request", date(2024, 4, 1))]
    reminders = [("reminder", date(2024, m, d)) for m, d in ((4, 23), (5, 1), (5, 8), (5, 9))]
    chases = [("overdue", date(2024, 5, d)) for d in (14, 16, 20)]
    # Answered on 4/10: the request only.
    assert sent_days(sc.slack.to("C-JINKEN")) == request
    assert sent_days(sc.slack.to("U-JIN1")) == request
    # Still missing item 3 to the end: every reminder and all three chases, then nothing.
    assert sent_days(sc.line.to("G-KOSO")) == request + reminders + chases
    # Answered on 5/8 after that morning's reminder: no reminder on 5/9, no chase.
    assert sent_days(sc.line.to("U-BOSAI")) == request + reminders[:3]

    koso = [s.message for s in sc.line.to("G-KOSO")]
    assert all(isinstance(m, RoundRequest) for m in koso)
    first, later = koso[0], koso[1:]
    assert isinstance(first, RoundRequest) and [p.number for p in first.pending] == [2, 3]
    for m in later:
        assert isinstance(m, RoundRequest)
        assert [p.number for p in m.pending] == [3]
        assert m.total_items == 2 and m.grades == ("A", "B", "C", "D")
    assert [m.purpose for m in koso if isinstance(m, RoundRequest)] == [
        "request",
        *["reminder"] * 4,
        *["overdue"] * 3,
    ]

    office = sc.slack.to("U-OFFICE")
    office_requests = [s for s in office if isinstance(s.message, RoundRequest)]
    assert sent_days(office_requests) == request  # 女性センター answered on 4/2
    digests = [s for s in office if isinstance(s.message, OfficeDigest)]
    weekly = [date(2024, m, d) for m, d in ((4, 8), (4, 15), (4, 22), (4, 30), (5, 7))]
    daily = [date(2024, 5, d) for d in (13, 14, 15, 16, 17, 20, 21, 22, 23, 24)]
    assert [d for _, d in sent_days(digests)] == weekly + daily
    last = digests[-1].message
    assert isinstance(last, OfficeDigest)
    assert [(line.department_name, [p.number for p in line.pending]) for line in last.missing] == [
        (KOSODATE, [3])
    ]
    assert (last.total, last.submitted) == (6, 5)

    # Nothing at all on weekends, on Golden Week holidays, or before 09:30.
    for day, count in per_day.items():
        if not CAL.is_business_day(day):
            assert count == 0, day
    keys = sc.slack.keys() + sc.line.keys()
    assert len(keys) == len(set(keys))
    with transaction(db.factory) as s:
        assert s.scalar(select(func.count()).where(Notification.status == "sent")) == len(keys)


def test_restart_after_missed_runs_sends_only_the_latest_due_once(db: Db) -> None:
    sc = build_scenario(db.factory)
    tick(db.factory, sc.messengers, jst(date(2024, 4, 1)), calendar=CAL)
    # 5/1: planned and enqueued, but the process died before delivering.
    tick(db.factory, sc.messengers, jst(date(2024, 5, 1)), calendar=CAL, deliver=False)
    sc.slack.sent.clear()
    sc.line.sent.clear()
    # Down until Thu 5/9 (the 5/8 reminder and the 5/7 digest were never planned).
    restart = jst(date(2024, 5, 9), 11)
    tick(db.factory, sc.messengers, restart, calendar=CAL)
    tick(db.factory, sc.messengers, restart + timedelta(minutes=1), calendar=CAL)
    assert sent_days(sc.line.to("G-KOSO")) == [("reminder", date(2024, 5, 9))]
    assert sent_days(sc.slack.to("U-OFFICE")) == [
        ("digest", date(2024, 5, 7)),
        ("reminder", date(2024, 5, 9)),
    ]
    with transaction(db.factory) as s:
        skipped = s.scalars(select(Notification.key).where(Notification.status == "skipped")).all()
    assert skipped and all(
        ":reminder:2024-05-01" in k or ":digest:2024-04-30" in k for k in skipped
    )


def test_nothing_is_planned_on_a_closed_round(db: Db) -> None:
    sc = build_scenario(db.factory)
    with transaction(db.factory) as s:
        s.get_one(Round, sc.round_id).closed_at = datetime(2024, 4, 1, tzinfo=JST)
    result = tick(db.factory, sc.messengers, jst(date(2024, 4, 23)), calendar=CAL)
    assert result.due == [] and sc.slack.sent == [] and sc.line.sent == []


def test_answered_between_planning_and_sending_is_skipped(db: Db) -> None:
    sc = build_scenario(db.factory)
    tick(db.factory, sc.messengers, jst(date(2024, 4, 1)), calendar=CAL, deliver=False)
    answer(db.factory, sc, BOSAI, 5)
    tick(db.factory, sc.messengers, jst(date(2024, 4, 1), 11), calendar=CAL)
    assert sc.line.to("U-BOSAI") == []
    assert len(sc.line.to("G-KOSO")) == 1
    with transaction(db.factory) as s:
        row = s.scalar(
            select(Notification).where(Notification.identity_id == sc.identities["U-BOSAI"])
        )
        assert row is not None and row.status == "skipped"


def test_round_notify_sends_the_request_once_and_the_scheduler_does_not_repeat_it(db: Db) -> None:
    sc = build_scenario(db.factory, opens_on=date(2024, 4, 8))
    now = jst(date(2024, 4, 3), 16)
    first = notify_round(db.factory, sc.messengers, now, round_id=sc.round_id)
    assert first.delivery.sent == 5
    again = notify_round(db.factory, sc.messengers, now + timedelta(hours=1), round_id=sc.round_id)
    assert again.delivery.sent == 0
    tick(db.factory, sc.messengers, jst(date(2024, 4, 8)), calendar=CAL)
    requests = [s for s in sc.slack.sent + sc.line.sent if isinstance(s.message, RoundRequest)]
    assert len(requests) == 5
    assert {s.target.external_id for s in requests} == {
        "C-JINKEN",
        "U-JIN1",
        "G-KOSO",
        "U-BOSAI",
        "U-OFFICE",
    }


def test_manual_clock_is_the_only_time_source() -> None:
    clock = ManualClock(datetime(2024, 5, 7, 1, 0, tzinfo=JST))
    clock.set(clock.now() + timedelta(days=1))
    assert clock.now() == datetime(2024, 5, 8, 1, 0, tzinfo=JST)
    assert not isinstance(clock.now(), TextMessage)
