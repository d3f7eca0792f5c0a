"""The business-day calendar: weekends, jpholiday holidays, 年末年始, moved send days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from handlers.i18n import msg, translator
from scheduler.calendar import (
    BusinessCalendar,
    parse_closed_days,
    parse_month_day,
    parse_send_time,
)

CAL = BusinessCalendar()


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2024, 5, 3), "憲法記念日"),
        (date(2024, 5, 4), "土曜日"),
        (date(2024, 5, 5), "日曜日"),
        (date(2024, 5, 6), "こどもの日 振替休日"),
        (date(2024, 4, 29), "昭和の日"),
        (date(2023, 12, 29), "年末年始"),
        (date(2024, 1, 2), "年末年始"),
        (date(2024, 1, 1), "元日"),
        (date(2024, 5, 2), None),
        (date(2024, 5, 7), None),
        (date(2024, 1, 4), None),
        (date(2023, 12, 28), None),
    ],
)
def test_closed_days(day: date, reason: str | None) -> None:
    assert CAL.closed_reason(day) == reason
    assert CAL.is_business_day(day) is (reason is None)


def test_year_end_is_configurable_and_can_be_switched_off() -> None:
    short = BusinessCalendar(year_end=((12, 30), (1, 2)))
    assert short.is_business_day(date(2023, 12, 29))
    assert not short.is_business_day(date(2024, 1, 2))
    assert short.is_business_day(date(2024, 1, 4))
    assert BusinessCalendar(year_end=None).is_business_day(date(2023, 12, 29))


def test_business_day_arithmetic_over_golden_week() -> None:
    assert CAL.next_business_day(date(2024, 5, 3)) == date(2024, 5, 7)
    assert CAL.previous_business_day(date(2024, 5, 6)) == date(2024, 5, 2)
    assert CAL.business_days_before(date(2024, 5, 8), 1) == date(2024, 5, 7)
    assert CAL.business_days_before(date(2024, 5, 8), 2) == date(2024, 5, 2)
    assert CAL.business_days_after(date(2024, 5, 2), 1) == date(2024, 5, 7)
    assert CAL.business_days_after(date(2023, 12, 27), 2) == date(2024, 1, 4)


def test_send_day_on_a_holiday_moves_earlier_before_the_deadline_later_after_it() -> None:
    deadline = date(2024, 5, 10)
    assert CAL.move_to_business_day(date(2024, 5, 6), deadline=deadline) == date(2024, 5, 2)
    assert CAL.move_to_business_day(date(2024, 5, 7), deadline=deadline) == date(2024, 5, 7)
    late = date(2024, 4, 26)
    assert CAL.move_to_business_day(date(2024, 4, 29), deadline=late) == date(2024, 4, 30)
    assert CAL.move_to_business_day(date(2024, 5, 4), deadline=date(2024, 5, 4)) == date(2024, 5, 7)


def test_send_time_and_window_are_local() -> None:
    assert CAL.send_moment(date(2024, 5, 7)) == datetime(2024, 5, 7, 0, 30, tzinfo=UTC)
    assert not CAL.is_send_window(datetime(2024, 5, 7, 0, 29, tzinfo=UTC))
    assert CAL.is_send_window(datetime(2024, 5, 7, 0, 30, tzinfo=UTC))
    # 2024-05-06 23:30 UTC is already 2024-05-07 08:30 in Tokyo: before the send time.
    assert not CAL.is_send_window(datetime(2024, 5, 6, 23, 30, tzinfo=UTC))
    assert not CAL.is_send_window(datetime(2024, 5, 6, 3, 0, tzinfo=UTC))  # 振替休日
    late = BusinessCalendar(send_time=time(13, 0))
    assert not late.is_send_window(datetime(2024, 5, 7, 1, 0, tzinfo=UTC))
    assert late.is_send_window(datetime(2024, 5, 7, 4, 0, tzinfo=UTC))
    assert CAL.local_date(datetime(2024, 5, 6, 23, 30, tzinfo=UTC)) == date(2024, 5, 7)


def test_parsers_reject_nonsense() -> None:
    assert parse_month_day("12/29") == (12, 29)
    assert parse_month_day("1-3") == (1, 3)
    assert parse_send_time("9:30") == time(9, 30)
    for bad in ("13/1", "12"):
        with pytest.raises(ValueError):
            parse_month_day(bad)
    for bad in ("930", "25:00"):
        with pytest.raises(ValueError):
            parse_send_time(bad)


def test_office_closed_days_yearly_and_once() -> None:
    days = parse_closed_days("10-01:創立記念日, 2025-11-15:庁舎点検日、06/02")
    cal = BusinessCalendar(closed_days=days)
    assert cal.closed_reason(date(2025, 10, 1)) == "創立記念日"  # a Wednesday
    assert cal.closed_reason(date(2026, 10, 1)) == "創立記念日"  # every year
    assert cal.closed_reason(date(2025, 11, 15)) == "土曜日"  # weekends still say so
    assert cal.closed_reason(date(2025, 6, 2)) == "休業日"  # unnamed
    once = BusinessCalendar(closed_days=parse_closed_days("2024-05-08:庁舎点検日"))
    assert once.closed_reason(date(2024, 5, 8)) == "庁舎点検日"
    assert once.is_business_day(date(2025, 5, 8))  # only that year
    assert once.next_business_day(date(2024, 5, 8)) == date(2024, 5, 9)
    closed = once.office_closed_days(date(2024, 5, 1), date(2024, 5, 31))
    assert [(day, translator().render(name)) for day, name in closed] == [
        (date(2024, 5, 8), "庁舎点検日")
    ]
    assert translator("en").render(cal.closed_message(date(2025, 6, 2)) or msg("text")) == "closed"
    assert translator("en").render(CAL.closed_message(date(2024, 1, 1)) or msg("text")) == (
        "public holiday (元日)"
    )
    assert parse_closed_days("") == ()


@pytest.mark.parametrize("bad", ["13-01", "2025-02-30", "10", "1-2-3-4", "abc"])
def test_malformed_closed_day_names_the_item(bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        parse_closed_days(f"10-01,{bad}")
