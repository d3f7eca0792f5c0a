""" "How far along are we?": round progress computed with SQL aggregates driven by the
round's own rows. "Better than last year?" is `handlers.committee.compare`."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from handlers.fiscal import reiwa_label
from handlers.i18n import Message, Translator, literal, msg
from handlers.organization.departments import named_departments
from handlers.plan.nodes import top_ancestors
from handlers.reporting.rounds import RoundHeader, get_round
from handlers.scale import GradeScale
from models import Assignment, IndicatorValue, Item, Report, Round

# Where answers come from (Report.channel), as people name it: chat (Slack, LINE, the
# console), the web page, the e-mail link, the Excel form, the office's proxy entry, or last
# year's table imported. "Who still needs a phone call" reads off these.
CHANNEL_LABELS = {
    "slack": "channel.slack",
    "line": "channel.line",
    "console": "channel.console",
    "web": "channel.web",
    "email": "channel.email",
    "excel": "channel.excel",
    "office": "channel.office",
    "import": "channel.import",
}


def channel_label(channel: str) -> Message:
    """`excel` → Excel, `office` → 代理入力; an unknown channel as it is stored."""
    key = CHANNEL_LABELS.get(channel)
    return msg(key) if key else literal(channel or "?")


def describe_channels(t: Translator, channels: dict[str, int]) -> str:
    """`Excel 5、Slack 1`: how a department's (or the round's) current answers came in."""
    return t.join(
        t("status.channel_count", channel=channel_label(channel), count=count)
        for channel, count in channels.items()
    )


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def percent(done: int, total: int) -> float:
    """Answered share of a round, one decimal; an empty round is 0 (nothing to answer yet)."""
    return round(100 * done / total, 1) if total else 0.0


@dataclass(frozen=True)
class DepartmentStatus:
    id: int
    name: str
    total: int
    submitted: int
    overdue: int  # unanswered slots once the deadline has passed, else 0
    # Channel of each current answer → how many (most first): who answered how.
    channels: dict[str, int]

    @property
    def pending(self) -> int:
        return self.total - self.submitted


@dataclass(frozen=True)
class LevelStatus:
    """Progress under one top hierarchy node (e.g. 基本目標 I)."""

    label: str
    title: str
    total: int
    submitted: int


@dataclass(frozen=True)
class StatusSummary:
    round_id: int
    round_label: str
    fiscal_year: int
    plan_name: str
    plan_title: str  # what people read: Plan.title, else the name
    deadline: date
    closed: bool
    past_deadline: bool
    total: int
    submitted: int
    grades: dict[str, int]
    departments: tuple[DepartmentStatus, ...]
    levels: tuple[LevelStatus, ...]
    channels: dict[str, int]  # the round's, most first

    @property
    def percent(self) -> float:
        return percent(self.submitted, self.total)

    @property
    def overdue_departments(self) -> tuple[DepartmentStatus, ...]:
        return tuple(d for d in self.departments if d.overdue)

    def to_json(self) -> dict[str, object]:
        return {
            "round": self.round_id,
            "label": self.round_label,
            "plan": self.plan_name,
            "plan_title": self.plan_title,
            "deadline": self.deadline.isoformat(),
            "closed": self.closed,
            "total": self.total,
            "submitted": self.submitted,
            "percent": self.percent,
            "grades": self.grades,
            "channels": self.channels,
            "departments": [
                {
                    "name": d.name,
                    "total": d.total,
                    "submitted": d.submitted,
                    "overdue": d.overdue,
                    "channels": d.channels,
                }
                for d in self.departments
            ],
            "levels": [
                {"label": lv.label, "title": lv.title, "total": lv.total, "submitted": lv.submitted}
                for lv in self.levels
            ],
        }


def _slot_groups(
    session: Session, *, round_id: int, department_id: int | None
) -> list[tuple[int, int | None, str | None, str, int]]:
    """(department id, item's node id, grade, channel, slots) of the round's slots.

    Driven by the round's own report rows (index on reports.round_id); each slot's department
    and node are looked up by primary key in correlated subqueries, which the planner cannot
    turn into a hash join over all assignments, so the cost follows the round's size and not
    the database's (see benchmarks/status.py).
    """
    department = (
        select(Assignment.department_id)
        .where(Assignment.id == Report.assignment_id)
        .scalar_subquery()
    )
    node = (
        select(Item.node_id)
        .join(Assignment, Assignment.item_id == Item.id)
        .where(Assignment.id == Report.assignment_id)
        .scalar_subquery()
    )
    slots = (
        select(
            department.label("department_id"),
            node.label("node_id"),
            Report.grade.label("grade"),
            Report.channel.label("channel"),
        )
        .where(Report.round_id == round_id)
        .subquery()
    )
    columns = (slots.c.department_id, slots.c.node_id, slots.c.grade, slots.c.channel)
    query = select(*columns, func.count()).group_by(*columns)
    if department_id is not None:
        query = query.where(slots.c.department_id == department_id)
    return [(d, n, g, ch or "", int(c)) for d, n, g, ch, c in session.execute(query)]


def summarize(
    session: Session, *, round_id: int, today: date, department_id: int | None = None
) -> StatusSummary:
    """Totals, grade distribution, per department and per top level, for one round.

    Four statements whatever the plan's or the database's size: the round with its plan,
    the slots grouped by department × node × grade, the departments' names and the plan's
    nodes.
    """
    rnd = get_round(session, round_id=round_id)
    past = today > rnd.deadline
    groups = _slot_groups(session, round_id=round_id, department_id=department_id)
    known = named_departments(
        session, {d for d, *_ in groups if d is not None}, plan_id=rnd.plan_id
    )
    nodes, tops = top_ancestors(session, plan_id=rnd.plan_id)

    total = sum(n for *_, n in groups)
    submitted = sum(n for _d, _n, grade, _c, n in groups if grade is not None)
    counted: dict[str, int] = {}
    per_department: dict[int, list[int]] = {}
    per_top: dict[int, list[int]] = {}
    channels: dict[int | None, dict[str, int]] = {}  # department (None: the round) → counts
    for dept, node, grade, channel, n in groups:
        if grade is not None:
            counted[grade] = counted.get(grade, 0) + n
            for key in (dept, None):
                tally = channels.setdefault(key, {})
                tally[channel] = tally.get(channel, 0) + n
        done = n if grade is not None else 0
        for key, table in ((dept, per_department), (tops.get(node or 0), per_top)):
            if key is not None:
                sums = table.setdefault(key, [0, 0])
                sums[0] += n
                sums[1] += done
    scale = GradeScale.from_json(rnd.scale)
    grades = {letter: counted.pop(letter, 0) for letter in scale.letters}
    grades.update(counted)  # grades from an older scale

    departments = tuple(
        sorted(
            (
                DepartmentStatus(
                    id=dept_id,
                    name=known[dept_id].name,
                    total=n,
                    submitted=done,
                    overdue=(n - done) if past else 0,
                    channels=_most_first(channels.get(dept_id, {})),
                )
                for dept_id, (n, done) in per_department.items()
            ),
            key=lambda d: known[d.id].sort_key,
        )
    )
    levels = tuple(
        LevelStatus(label=nodes[top].code, title=nodes[top].title, total=n, submitted=done)
        for top, (n, done) in sorted(per_top.items(), key=lambda kv: nodes[kv[0]].position)
    )
    return StatusSummary(
        round_id=rnd.id,
        round_label=reiwa_label(rnd.fiscal_year),
        fiscal_year=rnd.fiscal_year,
        plan_name=rnd.plan.name,
        plan_title=rnd.plan.display_title,
        deadline=rnd.deadline,
        closed=rnd.is_closed,
        past_deadline=past,
        total=total,
        submitted=submitted,
        grades=grades,
        departments=departments,
        levels=levels,
        channels=_most_first(channels.get(None, {})),
    )


def answer_stamp(session: Session, *, rnd: Round) -> str:
    """`progress_stamp` as a short string, for the console's dashboard: it polls it and
    redraws only when it changed (the same statement as the kept chat status)."""
    stamp = progress_stamp(session, rnd=RoundHeader.of(rnd))
    return hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]


def progress_stamp(session: Session, *, rnd: RoundHeader) -> tuple[object, ...]:
    """What changes whenever an answer of this round or of an earlier round of its plan
    (or of the plan it continues: last year's round is one of them) is stored, revised or
    withdrawn, when such a round is added, closed or moved, or when an indicator value of
    this round is reported: one statement of indexed aggregates.

    Every write of a slot raises its `revision` (a withdrawal too, even when it restores
    an older grade and time), so the sum of revisions tells apart states that the count
    of answers and the latest time alone would not.
    """
    params = {
        "plan": rnd.plan_id,
        "predecessor": rnd.predecessor_id,  # NULL when none: IN (plan, NULL) is the plan
        "year": rnd.fiscal_year,
        "round_id": rnd.id,
    }
    row = session.execute(_PROGRESS, params).one()
    return (*row, rnd.created_at, rnd.deadline, rnd.closed_at, rnd.scale)


# The tables' columns and plain bind parameters: a statement of mapped attributes goes
# through the ORM's compilation, and an expanding IN is rendered again, at every execution.
_REPORTS = Report.__table__
_ROUNDS = Round.__table__
_VALUES = IndicatorValue.__table__
assert isinstance(_REPORTS, Table) and isinstance(_ROUNDS, Table)
assert isinstance(_VALUES, Table)
_PROGRESS = select(
    func.count(_REPORTS.c.id),
    func.count(_REPORTS.c.grade),
    func.sum(_REPORTS.c.revision),
    func.max(_REPORTS.c.submitted_at),
    # the round's indicator values: each report of one adds a value or raises its revision
    select(func.count(_VALUES.c.id))
    .where(_VALUES.c.round_id == bindparam("round_id"))
    .scalar_subquery(),
    select(func.sum(_VALUES.c.revision))
    .where(_VALUES.c.round_id == bindparam("round_id"))
    .scalar_subquery(),
).where(
    _REPORTS.c.round_id.in_(
        select(_ROUNDS.c.id)
        .where(
            _ROUNDS.c.plan_id.in_([bindparam("plan"), bindparam("predecessor")]),
            _ROUNDS.c.fiscal_year <= bindparam("year"),
        )
        .scalar_subquery()
    )
)


V = TypeVar("V")


class StampedCache(Generic[V]):
    """Per-process results keyed by what they were computed from, checked against a stamp
    read from the database on every use (so several processes each keep a correct copy);
    `ttl` bounds how long a result may miss a change the stamp does not see (a department
    renamed, a plan's settings edited).
    """

    def __init__(self, *, ttl: timedelta, size: int = 64) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: dict[Hashable, tuple[Hashable, datetime, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Hashable, now: datetime, make: Callable[[], V]) -> V:
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp and entry[1] > now:
            return entry[2]
        value = make()
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key] = (stamp, now + self._ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
