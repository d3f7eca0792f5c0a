"""The business-day calendar: when an office may be messaged at all.

No sends on weekends, Japanese public holidays (from `jpholiday`, never a hand-written list),
the year-end closure 年末年始 (12/29–1/3 by default) or the office's own closed days
(創立記念日 every year, 庁舎点検日 once). Every send happens at one local time of day
(09:30 Asia/Tokyo by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

from handlers.i18n import Message, literal, msg, translator

DEFAULT_SEND_TIME = time(9, 30)
DEFAULT_TIMEZONE = "Asia/Tokyo"
# (month, day) of the first and the last day of the year-end closure, inclusive.
DEFAULT_YEAR_END = ((12, 29), (1, 3))


def parse_month_day(text: str) -> tuple[int, int]:
    """`12/29` or `12-29` → (12, 29); raises ValueError with the offending text."""
    cleaned = text.strip().replace("-", "/")
    month_text, _, day_text = cleaned.partition("/")
    month, day = int(month_text), int(day_text)
    date(2024, month, day)  # validates (2024 is a leap year: 2/29 allowed)
    return month, day


@dataclass(frozen=True)
class ClosedDay:
    """One of the office's own closed days: every year on month/day, or once (`year` set)."""

    month: int
    day: int
    year: int | None = None
    name: str = ""  # "" = unnamed: shown as 休業日 / closed

    @property
    def label(self) -> Message:
        """Its name, or the catalog's word for an unnamed closed day."""
        return literal(self.name) if self.name else msg("calendar.closed_day")

    def matches(self, day: date) -> bool:
        return (day.month, day.day) == (self.month, self.day) and self.year in (None, day.year)


def parse_closed_days(text: str) -> tuple[ClosedDay, ...]:
    """`10-01,2025-11-15:庁舎点検日` → a yearly and a one-off closed day.

    Items are separated by commas (or 、); `MM-DD` repeats every year, `YYYY-MM-DD` is one
    date; `:name` names it (shown by `round schedule`). Raises ValueError with the bad item.
    """
    days: list[ClosedDay] = []
    for item in text.replace("、", ",").split(","):
        if not item.strip():
            continue
        spec, _, name = item.strip().partition(":")
        parts = spec.strip().replace("/", "-").split("-")
        try:
            if len(parts) == 2:
                month, day = parse_month_day("-".join(parts))
                days.append(ClosedDay(month, day, name=name.strip()))
            elif len(parts) == 3:
                once = date(int(parts[0]), int(parts[1]), int(parts[2]))
                days.append(ClosedDay(once.month, once.day, once.year, name.strip()))
            else:
                raise ValueError(item)
        except ValueError:
            raise ValueError(item.strip()) from None
    return tuple(days)


def parse_send_time(text: str) -> time:
    """`9:30` / `09:30` → time(9, 30); raises ValueError on anything else."""
    hour_text, sep, minute_text = text.strip().partition(":")
    if not sep:
        raise ValueError(f"send time {text!r} is not HH:MM")
    return time(int(hour_text), int(minute_text))


@dataclass(frozen=True)
class BusinessCalendar:
    """Business days and the local send time of one office."""

    timezone: str = DEFAULT_TIMEZONE
    send_time: time = DEFAULT_SEND_TIME
    year_end: tuple[tuple[int, int], tuple[int, int]] | None = DEFAULT_YEAR_END
    closed_days: tuple[ClosedDay, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def in_year_end(self, day: date) -> bool:
        if self.year_end is None:
            return False
        start, end = self.year_end
        key = (day.month, day.day)
        if start <= end:
            return start <= key <= end
        return key >= start or key <= end  # wraps over new year

    def closed_message(self, day: date) -> Message | None:
        """Why no message goes out on `day` (土曜日, the holiday's name, 年末年始, the office's
        closed day), in the catalogs' words; None on business days."""
        if day.weekday() == 5:
            return msg("calendar.saturday")
        if day.weekday() == 6:
            return msg("calendar.sunday")
        name = jpholiday.is_holiday_name(day)
        if name:
            return msg("calendar.holiday", name=str(name))
        if self.in_year_end(day):
            return msg("calendar.year_end")
        for closed in self.closed_days:
            if closed.matches(day):
                return closed.label
        return None

    def closed_reason(self, day: date) -> str | None:
        """`closed_message` in Japanese (logs and tests); None on business days."""
        message = self.closed_message(day)
        return None if message is None else translator().render(message)

    def office_closed_days(self, start: date, end: date) -> list[tuple[date, Message]]:
        """The office's own closed days (HOKOKU_CLOSED_DAYS) from `start` to `end`, inclusive,
        with their names."""
        found: list[tuple[date, Message]] = []
        current = start
        while current <= end:
            for closed in self.closed_days:
                if closed.matches(current):
                    found.append((current, closed.label))
            current += timedelta(days=1)
        return found

    def is_business_day(self, day: date) -> bool:
        return self.closed_message(day) is None

    def next_business_day(self, day: date, *, inclusive: bool = True) -> date:
        current = day if inclusive else day + timedelta(days=1)
        while not self.is_business_day(current):
            current += timedelta(days=1)
        return current

    def previous_business_day(self, day: date, *, inclusive: bool = True) -> date:
        current = day if inclusive else day - timedelta(days=1)
        while not self.is_business_day(current):
            current -= timedelta(days=1)
        return current

    def business_days_before(self, day: date, count: int) -> date:
        """The business day `count` business days before `day` (count ≥ 1; `day` not counted)."""
        current = day
        for _ in range(count):
            current = self.previous_business_day(current, inclusive=False)
        return current

    def business_days_after(self, day: date, count: int) -> date:
        """The business day `count` business days after `day` (count ≥ 1; `day` not counted)."""
        current = day
        for _ in range(count):
            current = self.next_business_day(current, inclusive=False)
        return current

    def move_to_business_day(self, day: date, *, deadline: date) -> date:
        """A send day on a closed day: earlier when before the deadline, later after it.

        Before the deadline a reminder must not slip past it, so it moves to the previous
        business day; on or after the deadline it moves to the next one.
        """
        if self.is_business_day(day):
            return day
        if day < deadline:
            return self.previous_business_day(day)
        return self.next_business_day(day)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def send_moment(self, day: date, send_time: time | None = None) -> datetime:
        """The UTC instant of the send time on local `day`."""
        local = datetime.combine(day, send_time or self.send_time, tzinfo=self.tz)
        return local.astimezone(UTC)

    def is_send_window(self, moment: datetime, send_time: time | None = None) -> bool:
        """True on a business day at or after the send time (local)."""
        local = moment.astimezone(self.tz)
        return self.is_business_day(local.date()) and local.time() >= (send_time or self.send_time)
