"""A round's calendar of planned sends (pure: no database, no clock)."""

from __future__ import annotations

from datetime import date, time

import pytest

from scheduler.calendar import BusinessCalendar
from scheduler.schedule import (
    UNIT_CALENDAR,
    PlannedSend,
    Schedule,
    latest_due,
    round_calendar,
)

CAL = BusinessCalendar()


def days(sends: list[PlannedSend], purpose: str) -> list[date]:
    return [s.day for s in sends if s.purpose == purpose]


def test_default_schedule_over_golden_week() -> None:
    sends = round_calendar(
        opens_on=date(2024, 4, 1), deadline=date(2024, 5, 10), schedule=Schedule(), calendar=CAL
    )
    assert days(sends, "request") == [date(2024, 4, 1)]
    # 10, 5, 2, 1 business days before Fri 5/10: 4/29 and 5/3–5/6 are not counted.
    assert days(sends, "reminder") == [
        date(2024, 4, 23),
        date(2024, 5, 1),
        date(2024, 5, 8),
        date(2024, 5, 9),
    ]
    assert days(sends, "overdue") == [date(2024, 5, 14), date(2024, 5, 16), date(2024, 5, 20)]
    # Weekly (Monday, or the next business day of that week) until the deadline, then daily.
    assert days(sends, "digest") == [
        date(2024, 4, 8),
        date(2024, 4, 15),
        date(2024, 4, 22),
        date(2024, 4, 30),
        date(2024, 5, 7),
        date(2024, 5, 13),
        date(2024, 5, 14),
        date(2024, 5, 15),
        date(2024, 5, 16),
        date(2024, 5, 17),
        date(2024, 5, 20),
        date(2024, 5, 21),
    ]
    assert all(CAL.is_business_day(s.day) for s in sends)


def test_request_on_a_holiday_moves_to_the_next_business_day() -> None:
    sends = round_calendar(
        opens_on=date(2024, 5, 3), deadline=date(2024, 6, 28), schedule=Schedule(), calendar=CAL
    )
    request = [s for s in sends if s.purpose == "request"]
    assert [(s.day, s.moved_from) for s in request] == [(date(2024, 5, 7), date(2024, 5, 3))]


def test_calendar_day_reminders_move_before_the_deadline() -> None:
    schedule = Schedule(reminder_days=(7, 4), reminder_unit=UNIT_CALENDAR, chase_max=0)
    sends = round_calendar(
        opens_on=date(2024, 4, 1), deadline=date(2024, 5, 10), schedule=schedule, calendar=CAL
    )
    reminders = [(s.day, s.moved_from) for s in sends if s.purpose == "reminder"]
    # 5/3 (憲法記念日) → 5/2; 5/6 (振替休日) → 5/2 as well: one reminder, not two.
    assert reminders == [(date(2024, 5, 2), date(2024, 5, 3))]
    assert days(sends, "overdue") == []


def test_year_end_closure_and_new_year_holidays_are_skipped() -> None:
    sends = round_calendar(
        opens_on=date(2023, 12, 1), deadline=date(2024, 1, 5), schedule=Schedule(), calendar=CAL
    )
    # 1 business day before Fri 1/5 is 1/4 (12/29–1/3 closed); 2 is 12/28.
    assert days(sends, "reminder") == [
        date(2023, 12, 18),
        date(2023, 12, 25),
        date(2023, 12, 28),
        date(2024, 1, 4),
    ]
    # The week of 1/1 gets its digest on its first business day, Thu 1/4.
    assert days(sends, "digest")[:5] == [
        date(2023, 12, 4),
        date(2023, 12, 11),
        date(2023, 12, 18),
        date(2023, 12, 25),
        date(2024, 1, 4),
    ]
    # After the deadline: 1/8 is 成人の日, so the first daily digest is 1/9.
    assert days(sends, "digest")[5] == date(2024, 1, 9)
    assert days(sends, "overdue") == [date(2024, 1, 10), date(2024, 1, 12), date(2024, 1, 16)]
    for send in sends:
        assert CAL.closed_reason(send.day) is None


def test_reminders_on_or_before_the_request_are_dropped() -> None:
    sends = round_calendar(
        opens_on=date(2024, 5, 8), deadline=date(2024, 5, 10), schedule=Schedule(), calendar=CAL
    )
    assert days(sends, "request") == [date(2024, 5, 8)]
    assert days(sends, "reminder") == [date(2024, 5, 9)]


def test_latest_due_picks_the_newest_of_a_family() -> None:
    sends = round_calendar(
        opens_on=date(2024, 4, 1), deadline=date(2024, 5, 10), schedule=Schedule(), calendar=CAL
    )
    assert latest_due(sends, family="ask", today=date(2024, 3, 29)) is None
    request = latest_due(sends, family="ask", today=date(2024, 4, 22))
    assert request is not None and request.purpose == "request"
    missed = latest_due(sends, family="ask", today=date(2024, 5, 13))
    assert missed is not None and (missed.purpose, missed.day) == ("reminder", date(2024, 5, 9))
    chase = latest_due(sends, family="ask", today=date(2024, 5, 30))
    assert chase is not None and (chase.purpose, chase.ordinal) == ("overdue", 3)


def test_schedule_json_round_trip_and_validation() -> None:
    schedule = Schedule(reminder_days=(7, 3), chase_every=1, chase_max=5, send_time=time(10, 0))
    assert Schedule.from_json(schedule.to_json()) == schedule
    assert Schedule.from_json(None) == Schedule()
    assert Schedule.from_json({"chase_max": 1}).chase_max == 1
    for bad in ({"reminder_days": [0]}, {"chase_every": 0}, {"reminder_unit": "weeks"}):
        with pytest.raises(ValueError):
            Schedule.from_json(bad)
