"""A round's send schedule (data on the round) and its calendar of planned send days.

Pure date arithmetic: no database, no clock. `Round.schedule` holds only what differs
from the defaults; `Schedule.from_json(None)` is the default schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from typing import Any

from handlers.errors import InvalidValue
from handlers.i18n import msg
from handlers.ports import PURPOSE_DIGEST, PURPOSE_OVERDUE, PURPOSE_REMINDER, PURPOSE_REQUEST
from scheduler.calendar import BusinessCalendar, parse_send_time

AUDIENCE_DEPARTMENT = "department"
AUDIENCE_OFFICE = "office"

# Purposes that ask a department to answer; only the latest due one of them is ever sent
# after a pause (a missed reminder is superseded by the next one, never replayed).
ASK_FAMILY = (PURPOSE_REQUEST, PURPOSE_REMINDER, PURPOSE_OVERDUE)
PURPOSE_ORDER = {PURPOSE_REQUEST: 0, PURPOSE_REMINDER: 1, PURPOSE_OVERDUE: 2, PURPOSE_DIGEST: 3}

UNIT_BUSINESS = "business"
UNIT_CALENDAR = "calendar"


def family_of(purpose: str) -> str:
    return "ask" if purpose in ASK_FAMILY else purpose


@dataclass(frozen=True)
class Schedule:
    """When a round's messages go out. Every field has the default the issue asks for."""

    # Reminders this many days before the deadline (business days unless unit = calendar;
    # a calendar day on a closed day moves to the previous business day).
    reminder_days: tuple[int, ...] = (10, 5, 2, 1)
    reminder_unit: str = UNIT_BUSINESS
    # After the deadline: chase every `chase_every` business days, at most `chase_max` times.
    chase_every: int = 2
    chase_max: int = 3
    # Office digest: weekly on this weekday (0 = Monday; a closed day moves to the next
    # business day of the same week) until the deadline, then every business day.
    digest_weekday: int = 0
    digest_daily_after_deadline: bool = True
    # Local send time for this round; None = the calendar's (HOKOKU_SEND_TIME).
    send_time: time | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Schedule:
        if not data:
            return cls()
        base = cls()
        send_time = data.get("send_time")
        schedule = cls(
            reminder_days=tuple(int(d) for d in data.get("reminder_days", base.reminder_days)),
            reminder_unit=str(data.get("reminder_unit", base.reminder_unit)),
            chase_every=int(data.get("chase_every", base.chase_every)),
            chase_max=int(data.get("chase_max", base.chase_max)),
            digest_weekday=int(data.get("digest_weekday", base.digest_weekday)),
            digest_daily_after_deadline=bool(
                data.get("digest_daily_after_deadline", base.digest_daily_after_deadline)
            ),
            send_time=parse_send_time(send_time) if send_time else None,
        )
        schedule.validate()
        return schedule

    def to_json(self) -> dict[str, Any]:
        return {
            "reminder_days": list(self.reminder_days),
            "reminder_unit": self.reminder_unit,
            "chase_every": self.chase_every,
            "chase_max": self.chase_max,
            "digest_weekday": self.digest_weekday,
            "digest_daily_after_deadline": self.digest_daily_after_deadline,
            "send_time": self.send_time.strftime("%H:%M") if self.send_time else None,
        }

    def validate(self) -> None:
        """Raise InvalidValue (a ValueError saying how to fix it) on settings that make no
        sense."""
        if any(d < 1 or d > 60 for d in self.reminder_days):
            raise InvalidValue(msg("schedule.reminder_days"))
        if self.reminder_unit not in (UNIT_BUSINESS, UNIT_CALENDAR):
            raise InvalidValue(msg("schedule.reminder_unit"))
        if not 1 <= self.chase_every <= 20:
            raise InvalidValue(msg("schedule.chase_every"))
        if not 0 <= self.chase_max <= 20:
            raise InvalidValue(msg("schedule.chase_max"))
        if not 0 <= self.digest_weekday <= 4:
            raise InvalidValue(msg("schedule.digest_weekday"))

    def updated(self, **changes: Any) -> Schedule:
        schedule = replace(self, **changes)
        schedule.validate()
        return schedule


@dataclass(frozen=True, order=True)
class PlannedSend:
    """One planned send day of a round: who (department or office) gets what."""

    day: date
    order: int
    purpose: str = field(compare=False)
    audience: str = field(compare=False)
    # 1-based index among sends of the same purpose (reminder 1 of 4, chase 2 of 3 …).
    ordinal: int = field(compare=False, default=1)
    moved_from: date | None = field(compare=False, default=None)


def request_day(*, opens_on: date, calendar: BusinessCalendar) -> date:
    return calendar.next_business_day(opens_on)


def reminder_days(
    *, opens_on: date, deadline: date, schedule: Schedule, calendar: BusinessCalendar
) -> list[tuple[date, date | None]]:
    """(send day, original calendar day if moved) per reminder, earliest first, after the request."""
    first = request_day(opens_on=opens_on, calendar=calendar)
    days: dict[date, date | None] = {}
    for count in sorted(set(schedule.reminder_days), reverse=True):
        if schedule.reminder_unit == UNIT_BUSINESS:
            day, moved = calendar.business_days_before(deadline, count), None
        else:
            raw = deadline - timedelta(days=count)
            day = calendar.move_to_business_day(raw, deadline=deadline)
            moved = raw if day != raw else None
        if day > first and day not in days:
            days[day] = moved
    return sorted(days.items())


def chase_days(*, deadline: date, schedule: Schedule, calendar: BusinessCalendar) -> list[date]:
    return [
        calendar.business_days_after(deadline, n * schedule.chase_every)
        for n in range(1, schedule.chase_max + 1)
    ]


def digest_days(
    *,
    opens_on: date,
    deadline: date,
    until: date,
    schedule: Schedule,
    calendar: BusinessCalendar,
) -> list[date]:
    """Weekly after the request until the deadline, then (optionally) every business day."""
    first = request_day(opens_on=opens_on, calendar=calendar)
    days: list[date] = []
    week = first - timedelta(days=first.weekday())
    while week <= min(deadline, until):
        day = calendar.next_business_day(week + timedelta(days=schedule.digest_weekday))
        if day - week < timedelta(days=7) and first < day <= min(deadline, until):
            days.append(day)
        week += timedelta(days=7)
    if schedule.digest_daily_after_deadline:
        day = calendar.next_business_day(deadline, inclusive=False)
        while day <= until:
            days.append(day)
            day = calendar.next_business_day(day, inclusive=False)
    return days


def default_horizon(*, deadline: date, schedule: Schedule, calendar: BusinessCalendar) -> date:
    """How far `round schedule` looks: one business day past the last chase."""
    return calendar.business_days_after(deadline, schedule.chase_every * schedule.chase_max + 1)


def round_calendar(
    *,
    opens_on: date,
    deadline: date,
    schedule: Schedule,
    calendar: BusinessCalendar,
    until: date | None = None,
) -> list[PlannedSend]:
    """Every planned send of a round up to `until` (default: just past the last chase)."""
    horizon = until or default_horizon(deadline=deadline, schedule=schedule, calendar=calendar)
    sends: list[PlannedSend] = []
    first = request_day(opens_on=opens_on, calendar=calendar)
    if first <= horizon:
        sends.append(
            PlannedSend(
                day=first,
                order=PURPOSE_ORDER[PURPOSE_REQUEST],
                purpose=PURPOSE_REQUEST,
                audience=AUDIENCE_DEPARTMENT,
                moved_from=opens_on if first != opens_on else None,
            )
        )
    reminders = reminder_days(
        opens_on=opens_on, deadline=deadline, schedule=schedule, calendar=calendar
    )
    for n, (day, moved) in enumerate(reminders, start=1):
        if day <= horizon:
            sends.append(
                PlannedSend(
                    day=day,
                    order=PURPOSE_ORDER[PURPOSE_REMINDER],
                    purpose=PURPOSE_REMINDER,
                    audience=AUDIENCE_DEPARTMENT,
                    ordinal=n,
                    moved_from=moved,
                )
            )
    for n, day in enumerate(chase_days(deadline=deadline, schedule=schedule, calendar=calendar), 1):
        if day <= horizon:
            sends.append(
                PlannedSend(
                    day=day,
                    order=PURPOSE_ORDER[PURPOSE_OVERDUE],
                    purpose=PURPOSE_OVERDUE,
                    audience=AUDIENCE_DEPARTMENT,
                    ordinal=n,
                )
            )
    digests = digest_days(
        opens_on=opens_on, deadline=deadline, until=horizon, schedule=schedule, calendar=calendar
    )
    for n, day in enumerate(digests, start=1):
        sends.append(
            PlannedSend(
                day=day,
                order=PURPOSE_ORDER[PURPOSE_DIGEST],
                purpose=PURPOSE_DIGEST,
                audience=AUDIENCE_OFFICE,
                ordinal=n,
            )
        )
    return sorted(sends)


def latest_due(sends: list[PlannedSend], *, family: str, today: date) -> PlannedSend | None:
    """The most recent planned send of a family on or before `today` (None: nothing yet)."""
    due = [s for s in sends if family_of(s.purpose) == family and s.day <= today]
    return due[-1] if due else None
