"""Opening, finding, closing, reopening and editing the yearly reporting round.

Two ways to pick "the" round when none is named, kept apart on purpose:
- ANSWER (chat users answering, reminders): the latest *open* round; a closed round takes
  no answers from departments.
- VIEW (the office's status, export, history, proxy entry, reopen/edit): the latest round,
  open first, else the most recently closed one, so that `round close` followed by
  `export` exports the round just closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, insert, literal, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from handlers.errors import InvalidInput, NotFound
from handlers.fiscal import reiwa_label
from handlers.i18n import FiscalYear, Message, msg
from handlers.normalize import fold
from handlers.scale import DEFAULT_SCALE, GradeScale
from models import Assignment, AuditEntry, Item, Plan, Report, Round, utcnow

ANSWER = "answer"
VIEW = "view"

T = TypeVar("T")


@dataclass(frozen=True)
class RoundInfo:
    id: int
    plan_id: int
    plan_name: str
    fiscal_year: int
    label: str
    opens_on: date
    deadline: date
    scale: GradeScale
    closed: bool
    slots: int
    plan_title: str = ""

    @property
    def caption(self) -> Message:
        """`回 3（令和5年度 西東京市第5次・受付中）`: which round a command worked on."""
        return _caption(
            self.id, self.fiscal_year, self.plan_title or self.plan_name, closed=self.closed
        )


def state_label(closed: bool) -> Message:
    """`受付中` / `受付終了` (open / closed)."""
    return msg("round.state.closed" if closed else "round.state.open")


def _caption(round_id: int, fiscal_year: int, title: str, *, closed: bool) -> Message:
    return msg(
        "round.caption",
        round=round_id,
        year=FiscalYear(fiscal_year),
        title=title,
        state=state_label(closed),
    )


def round_caption(rnd: Round) -> Message:
    """Like RoundInfo.caption, without counting the slots."""
    return _caption(rnd.id, rnd.fiscal_year, rnd.plan.display_title, closed=rnd.is_closed)


def round_info(session: Session, rnd: Round) -> RoundInfo:
    slots = session.scalar(select(func.count()).where(Report.round_id == rnd.id)) or 0
    return RoundInfo(
        id=rnd.id,
        plan_id=rnd.plan_id,
        plan_name=rnd.plan.name,
        plan_title=rnd.plan.display_title,
        fiscal_year=rnd.fiscal_year,
        label=reiwa_label(rnd.fiscal_year),
        opens_on=rnd.opens_on,
        deadline=rnd.deadline,
        scale=GradeScale.from_json(rnd.scale),
        closed=rnd.is_closed,
        slots=slots,
    )


def open_round(
    session: Session,
    *,
    plan: Plan,
    fiscal_year: int,
    deadline: date,
    opens_on: date,
    scale: GradeScale | None = None,
) -> RoundInfo:
    """Create the round and one open report slot per item × department, in one statement."""
    if not 1990 <= fiscal_year <= 2100:
        raise InvalidInput(msg("round.year_out_of_range", year=fiscal_year))
    if deadline < opens_on:
        raise InvalidInput(
            msg(
                "round.deadline_before_start",
                deadline=deadline.isoformat(),
                opens=opens_on.isoformat(),
            )
        )
    existing = session.scalar(
        select(Round).where(Round.plan_id == plan.id, Round.fiscal_year == fiscal_year)
    )
    if existing is not None:
        raise InvalidInput(
            msg("round.exists", plan=plan.name, year=FiscalYear(fiscal_year), round=existing.id)
        )
    rnd = Round(
        plan=plan,
        fiscal_year=fiscal_year,
        opens_on=opens_on,
        deadline=deadline,
        scale=(scale or DEFAULT_SCALE).to_json(),
    )
    session.add(rnd)
    session.flush()
    slots = (
        select(literal(rnd.id), Assignment.id, literal(""), literal(0), literal(""), literal(""))
        .join(Item, Item.id == Assignment.item_id)
        .where(Item.plan_id == plan.id, Item.repost_of_id.is_(None))
    )
    session.execute(
        insert(Report).from_select(
            ["round_id", "assignment_id", "comment", "revision", "reporter", "channel"], slots
        )
    )
    return round_info(session, rnd)


def get_round(session: Session, *, round_id: int, organization_id: int | None = None) -> Round:
    """The round `round_id` with its plan, or NotFound (`round.not_found`).

    One lookup for everything that is handed a round id: the session's copy when it has one
    (no statement), else one SELECT that brings the plan along. With `organization_id`, a
    round of another organization is not found either (ids typed by a person); without it,
    the id came from a round already found in the caller's organization.
    """
    rnd = session.get(Round, round_id, options=_WITH_PLAN)
    if rnd is None or (organization_id is not None and rnd.plan.organization_id != organization_id):
        raise NotFound(msg("round.not_found", round=round_id))
    return rnd


def resolve_round(
    session: Session, *, organization_id: int, ref: str | int | None, purpose: str
) -> Round:
    """A round by id; with no id, the default round for `purpose` (ANSWER or VIEW).

    ANSWER: the latest open round. VIEW: the latest open round, else the most recently
    closed one.
    """
    _known_purpose(purpose)
    if ref is not None and str(ref).strip():
        return get_round(session, round_id=_round_number(ref), organization_id=organization_id)
    org = {"organization_id": organization_id}
    return _default_round(
        purpose, lambda statement: session.scalar(statement, org), _OPEN_ROUND, _LAST_CLOSED_ROUND
    )


def _known_purpose(purpose: str) -> None:
    if purpose not in (ANSWER, VIEW):
        raise ValueError(f"unknown round purpose {purpose!r}")


def _default_round(purpose: str, read: Callable[[Any], T | None], open_: Any, closed: Any) -> T:
    """What `read` finds of the latest open round, else (VIEW) of the one closed last;
    NotFound saying which there is none of."""
    found = read(open_)
    if found is None and purpose == VIEW:
        found = read(closed)
        if found is None:
            raise NotFound(msg("round.none_yet"))
    if found is None:
        raise NotFound(msg("round.none_open"))
    return found


# Built once: an option made per call cost more than finding the round the session holds.
_WITH_PLAN = (joinedload(Round.plan),)


@dataclass(frozen=True)
class AnswerableRound:
    """What checking and storing answers needs of a round, as plain columns: reading the
    Round and its Plan as mapped objects cost a DM answer more than any of its statements."""

    id: int
    plan_id: int
    fiscal_year: int
    scale: list[Any]
    is_closed: bool


_ANSWERABLE_KEY = "hokoku_answerable_rounds"  # in Session.info: read, not yet checked
# The tables' own columns (Core): a select of the mapped attributes goes through the ORM's
# compilation for each execution, which cost a DM answer 5% of its CPU for one row.
_ROUNDS = Round.__table__
_PLANS = Plan.__table__
assert isinstance(_ROUNDS, Table) and isinstance(_PLANS, Table)
# A round as plain columns, read the same way for answers (AnswerableRound) and for a
# status (RoundHeader: these are its fields, in its order).
ROUND_COLUMNS = (
    _ROUNDS.c.id,
    _ROUNDS.c.plan_id,
    _PLANS.c.predecessor_id,
    _ROUNDS.c.fiscal_year,
    _ROUNDS.c.created_at,
    _ROUNDS.c.deadline,
    _ROUNDS.c.closed_at,
    _ROUNDS.c.scale,
)


def _round_row(
    session: Session, *, organization_id: int, ref: str | int | None, purpose: str
) -> Any:
    """`resolve_round`'s choice as a row of ROUND_COLUMNS (the same NotFound)."""
    _known_purpose(purpose)
    if ref is not None and str(ref).strip():
        return _row_by_id(session, round_id=_round_number(ref), organization_id=organization_id)
    org = {"organization_id": organization_id}
    return _default_round(
        purpose,
        lambda statement: session.execute(statement, org).first(),
        _OPEN_ROUND_ROW,
        _LAST_CLOSED_ROUND_ROW,
    )


def _row_by_id(session: Session, *, round_id: int, organization_id: int | None) -> Any:
    """One round's row; NotFound as `get_round` (also one of another organization)."""
    row = session.execute(_ROUND_ROW_BY_ID, {"round_id": round_id}).first()
    if row is None or organization_id not in (None, row.organization_id):
        raise NotFound(msg("round.not_found", round=round_id))
    return row


def answering_round(
    session: Session, *, organization_id: int, ref: str | int | None, purpose: str
) -> AnswerableRound:
    """`resolve_round`'s choice as plain columns (a chat answer's round). Handed on to the
    next `round_for_answers` of this round in the session (the answers' check, right after),
    once: the session may close the round later, and then that is read again."""
    return hand_on(
        session,
        _round_row(session, organization_id=organization_id, ref=ref, purpose=purpose),
    )


def hand_on(session: Session, row: Any) -> AnswerableRound:
    """A round read as plain columns (a row with `ROUND_COLUMNS`, read alone or with more),
    handed on to the next `round_for_answers` of this round in the session, once."""
    found = _columns_of(row)
    session.info.setdefault(_ANSWERABLE_KEY, {})[found.id] = found
    return found


@dataclass(frozen=True)
class RoundHeader:
    """What the status of a round is stamped with (`handlers.reporting.status.
    progress_stamp`), as plain columns: `/hokoku status` reads this, not the Round and
    Plan objects, before it finds its kept answer still good."""

    id: int
    plan_id: int
    predecessor_id: int | None
    fiscal_year: int
    created_at: datetime
    deadline: date
    closed_at: datetime | None
    scale: list[Any]

    @classmethod
    def of(cls, rnd: Round) -> RoundHeader:
        return cls(
            rnd.id,
            rnd.plan_id,
            rnd.plan.predecessor_id,
            rnd.fiscal_year,
            rnd.created_at,
            rnd.deadline,
            rnd.closed_at,
            rnd.scale,
        )


def viewing_round(session: Session, *, organization_id: int, ref: str | int | None) -> RoundHeader:
    """`resolve_round(purpose=VIEW)`'s choice as a RoundHeader (the same NotFound)."""
    row = _round_row(session, organization_id=organization_id, ref=ref, purpose=VIEW)
    return RoundHeader(*row[: len(ROUND_COLUMNS)])


def round_for_answers(
    session: Session, *, round_id: int, organization_id: int | None = None
) -> AnswerableRound:
    """A round's columns that answers need: from the Round the session holds, else what
    `answering_round` just read (taken once), else one SELECT. NotFound as `get_round`
    (also a round of another organization, with `organization_id`)."""
    if organization_id is None:
        held = session.identity_map.get(session.identity_key(Round, round_id))
        if isinstance(held, Round):
            return _columns_of(held)
        known = session.info.get(_ANSWERABLE_KEY, {}).pop(round_id, None)
        if known is not None:
            return known
    return _columns_of(_row_by_id(session, round_id=round_id, organization_id=organization_id))


def _columns_of(row: Any) -> AnswerableRound:
    """From a row of `ROUND_COLUMNS`, or a Round (the same names)."""
    return AnswerableRound(
        row.id, row.plan_id, row.fiscal_year, row.scale, row.closed_at is not None
    )


def _round_number(ref: str | int) -> int:
    text = fold(str(ref))
    if not text.isdigit():
        raise InvalidInput(msg("round.ref_not_number", ref=str(ref)[:20]))
    return int(text)


# The plan comes with the round (its title is shown, its predecessor finds last year). Read
# with nearly every inbound message: built once.
_ORGANIZATION_ROUNDS = (
    select(Round)
    .join(Plan)
    .options(contains_eager(Round.plan))
    .where(Plan.organization_id == bindparam("organization_id"))
)
_OPEN_ROUND = _ORGANIZATION_ROUNDS.where(Round.closed_at.is_(None)).order_by(
    Round.created_at.desc(), Round.id.desc()
)
_LAST_CLOSED_ROUND = _ORGANIZATION_ROUNDS.order_by(Round.closed_at.desc(), Round.id.desc())


# The same choice as plain columns (`answering_round`, `viewing_round`), and one round by id.
_ROUNDS_OF_ORGANIZATION = (
    select(*ROUND_COLUMNS)
    .join(_PLANS, _PLANS.c.id == _ROUNDS.c.plan_id)
    .where(_PLANS.c.organization_id == bindparam("organization_id"))
)
_OPEN_ROUND_ROW = (
    _ROUNDS_OF_ORGANIZATION.where(_ROUNDS.c.closed_at.is_(None))
    .order_by(_ROUNDS.c.created_at.desc(), _ROUNDS.c.id.desc())
    .limit(1)
)
_LAST_CLOSED_ROUND_ROW = _ROUNDS_OF_ORGANIZATION.order_by(
    _ROUNDS.c.closed_at.desc(), _ROUNDS.c.id.desc()
).limit(1)
_ROUND_ROW_BY_ID = (
    select(*ROUND_COLUMNS, _PLANS.c.organization_id)
    .join(_PLANS, _PLANS.c.id == _ROUNDS.c.plan_id)
    .where(_ROUNDS.c.id == bindparam("round_id"))
)


def list_rounds(session: Session, *, organization_id: int) -> list[RoundInfo]:
    rounds = session.scalars(
        select(Round).join(Plan).where(Plan.organization_id == organization_id).order_by(Round.id)
    ).all()
    return [round_info(session, r) for r in rounds]


def _audit(session: Session, *, actor: str, action: str, rnd: Round, **detail: object) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            detail={"round": rnd.id, "label": reiwa_label(rnd.fiscal_year), **detail},
        )
    )


def close_round(
    session: Session, *, rnd: Round, actor: str = "", now: datetime | None = None
) -> RoundInfo:
    """Stop taking answers from departments (idempotent; audited when it closes)."""
    if rnd.closed_at is None:
        rnd.closed_at = now or utcnow()
        _audit(session, actor=actor, action="round_close", rnd=rnd)
    return round_info(session, rnd)


def reopen_round(
    session: Session, *, rnd: Round, actor: str, deadline: date | None = None
) -> RoundInfo:
    """Take answers again (idempotent), optionally with a new deadline; audited."""
    if deadline is not None:
        edit_round(session, rnd=rnd, actor=actor, deadline=deadline)
    if rnd.closed_at is not None:
        closed_at = rnd.closed_at
        rnd.closed_at = None
        _audit(
            session, actor=actor, action="round_reopen", rnd=rnd, closed_at=closed_at.isoformat()
        )
    return round_info(session, rnd)


def edit_round(session: Session, *, rnd: Round, actor: str, deadline: date) -> RoundInfo:
    """Move the deadline; the scheduler plans reminders and chases from the round's deadline."""
    if deadline < rnd.opens_on:
        raise InvalidInput(
            msg(
                "round.deadline_before_opening",
                deadline=deadline.isoformat(),
                opens=rnd.opens_on.isoformat(),
            )
        )
    if deadline != rnd.deadline:
        old = rnd.deadline
        rnd.deadline = deadline
        _audit(
            session,
            actor=actor,
            action="round_edit",
            rnd=rnd,
            field="deadline",
            old=old.isoformat(),
            new=deadline.isoformat(),
        )
        session.flush()
    return round_info(session, rnd)


def previous_round(session: Session, *, rnd: Round) -> Round | None:
    """Last year's round, for showing last year's answer next to this one.

    The latest earlier round of the same plan, or of the plan it continues (第6次 → 第7次,
    `Plan.predecessor_id`), so the first year of a new plan still shows last year.
    """
    plans = [rnd.plan_id]
    if rnd.plan.predecessor_id is not None:
        plans.append(rnd.plan.predecessor_id)
    return session.scalar(
        select(Round)
        .where(Round.plan_id.in_(plans), Round.fiscal_year < rnd.fiscal_year)
        .order_by(Round.fiscal_year.desc(), (Round.plan_id == rnd.plan_id).desc())
        .limit(1)
    )


@dataclass(frozen=True)
class PreviousJoin:
    """How this round's slots find last year's answer: same item, or its predecessor item.

    Outer-join `assignment` then `report` to a query that has `Item` and `Assignment` of this
    round's slots; `report` is last year's answer of the same department (None if none).
    """

    assignment: Any
    report: Any
    assignment_on: ColumnElement[bool]
    report_on: ColumnElement[bool]

    def apply(self, query: Select[Any]) -> Select[Any]:
        return query.outerjoin(self.assignment, self.assignment_on).outerjoin(
            self.report, self.report_on
        )


def previous_join(
    rnd: Round, prev: Round, *, item: Any = Item, assignment: Any = Assignment
) -> PreviousJoin:
    """Join conditions to last year's report of each slot (see `PreviousJoin`).

    `item` and `assignment` are the entities of this round's slot in the query (aliases when
    the query joins the answering item separately, as the export does for (再掲) items). Only
    for an existing previous round: without one, callers join nothing, since a join condition
    that can never hold still makes SQLite scan reports once per row.
    """
    before_assignment = aliased(Assignment)
    before_report = aliased(Report)
    # Within one plan the item is the same; across plans it is the item it continues.
    same_item = item.id if prev.plan_id == rnd.plan_id else item.predecessor_id
    return PreviousJoin(
        assignment=before_assignment,
        report=before_report,
        assignment_on=(before_assignment.item_id == same_item)
        & (before_assignment.department_id == assignment.department_id),
        report_on=(before_report.assignment_id == before_assignment.id)
        & (before_report.round_id == prev.id),
    )


@dataclass(frozen=True)
class RoundChoice:
    """A round as a selector lists it (no counting: one small query for every round)."""

    id: int
    fiscal_year: int
    plan_title: str
    closed: bool


def round_choices(session: Session, *, organization_id: int) -> list[RoundChoice]:
    """Every round of the organization, newest first."""
    rows = session.execute(
        select(Round.id, Round.fiscal_year, Plan.name, Plan.title, Round.closed_at)
        .join(Plan, Plan.id == Round.plan_id)
        .where(Plan.organization_id == organization_id)
        .order_by(Round.fiscal_year.desc(), Round.id.desc())
    )
    return [
        RoundChoice(id=i, fiscal_year=year, plan_title=title or name, closed=closed is not None)
        for i, year, name, title, closed in rows
    ]


def answered_counts(session: Session, *, organization_id: int) -> dict[int, tuple[int, int]]:
    """round id → (slots, answered) for every round of the organization (one grouped query)."""
    rows = session.execute(
        select(Report.round_id, func.count(Report.id), func.count(Report.grade))
        .join(Round, Round.id == Report.round_id)
        .join(Plan, Plan.id == Round.plan_id)
        .where(Plan.organization_id == organization_id)
        .group_by(Report.round_id)
    )
    return {round_id: (int(total), int(done)) for round_id, total, done in rows}
