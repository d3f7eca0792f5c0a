"""Recording answers (grade + comment) for a department's slots, and reading its slots.

Every adapter (console, Slack, LINE, CLI proxy entry) stores answers through
`submit_answers` (or `submit_answer` for one). A batch is validated as a whole before
anything is written, and the department's slots are locked for the rest of the
transaction (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
serializes writers), so two people answering the same slot at the same moment both get a
revision, in the order their transactions took the lock, and the later one is current.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    bindparam,
    cast,
    exists,
    false,
    func,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from handlers.errors import HokokuError, InvalidInput, NotFound, PermissionDenied, RoundClosed
from handlers.i18n import FiscalYear, msg
from handlers.normalize import clean_text
from handlers.plan.nodes import node_chains
from handlers.reporting.rounds import (
    AnswerableRound,
    get_round,
    previous_join,
    previous_round,
    round_for_answers,
)
from handlers.scale import GradeScale
from models import (
    ANSWERED,
    Assignment,
    AuditEntry,
    Department,
    Item,
    Report,
    ReportRevision,
    Round,
    utcnow,
)
from models.base import UTCDateTime
from models.plan import join_code

MAX_COMMENT = 3000
MAX_ITEM_NUMBER = 2**31 - 1  # the items.number column is a 32-bit integer
CHANNEL_PROXY = "office"  # a slot whose current answer the office entered (代理入力)

STORED = "stored"  # first answer for the slot
REVISED = "revised"  # a new revision replaced an earlier answer
UNCHANGED = "unchanged"  # same grade and comment as already stored: nothing written
DUPLICATE = "duplicate"  # the same delivery (source_key) was already stored


@dataclass(frozen=True)
class AnswerInput:
    """One answer to store. `comment=None` keeps the stored comment (a grade-only answer).

    `message_key`: the chat message it was read from (an edit or unsend of that message
    finds it); `note`: a line appended to the comment (the names of files sent with it).
    """

    item_number: int
    grade: str
    comment: str | None = None
    source_key: str | None = None
    line_no: int | None = None  # where it was typed, for errors that name the line
    message_key: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class SubmitOutcome:
    status: str
    item_number: int
    item_display: str
    department_name: str
    grade: str
    comment: str
    revision: int


@dataclass(frozen=True)
class AnswerError:
    """Why one answer of a batch cannot be stored."""

    line_no: int | None
    item_number: int
    error: HokokuError


class AnswersRejected(HokokuError):
    """Some answers of a batch are invalid; nothing of the batch was stored."""

    def __init__(self, errors: Sequence[AnswerError]) -> None:
        super().__init__("\n".join(e.error.message for e in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class SlotState:
    """A slot after a batch: enough to say what is still pending."""

    item_number: int
    item_display: str
    grade: str | None


@dataclass(frozen=True)
class BatchResult:
    outcomes: tuple[SubmitOutcome, ...]
    department_name: str
    slots: tuple[SlotState, ...]  # every slot of the department in this round, plan order


@dataclass(frozen=True)
class SlotView:
    """One item × department slot of a round, as shown in a form or a list."""

    report_id: int
    item_number: int
    item_code: str
    item_title: str
    item_display: str
    path: tuple[str, ...]
    department_id: int
    department_name: str
    grade: str | None
    comment: str
    revision: int
    previous_grade: str | None
    previous_comment: str


def find_slot(
    session: Session, *, round_id: int, department_id: int, item_number: int
) -> tuple[Report, Item] | None:
    """The report slot of item `item_number` × department in this round, or None.

    The number of a (再掲) item finds the slot of its original: it is answered there.
    """
    typed = aliased(Item)
    row = session.execute(
        select(Report, Item)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(typed, func.coalesce(typed.repost_of_id, typed.id) == Item.id)
        .where(
            Report.round_id == round_id,
            Assignment.department_id == department_id,
            typed.number == item_number,
        )
    ).first()
    return None if row is None else (row[0], row[1])


def answerable_round(session: Session, *, round_id: int, acting_as_office: bool = False) -> Round:
    """The round, if it still takes answers (the office may enter late answers when closed)."""
    rnd = get_round(session, round_id=round_id)
    takes_answers(rnd, acting_as_office=acting_as_office)
    return rnd


def takes_answers(rnd: Round | AnswerableRound, *, acting_as_office: bool) -> None:
    """A closed round takes answers only from the office (late entry)."""
    if rnd.is_closed and not acting_as_office:
        raise RoundClosed(msg("round.closed", year=FiscalYear(rnd.fiscal_year)))


def with_note(comment: str, note: str | None) -> str:
    """The comment with a note on a line of its own (once: an edit does not add it twice)."""
    if not note or note in comment:
        return comment
    return f"{comment}\n{note}" if comment else note


def _check_values(answer: AnswerInput, scale: GradeScale) -> tuple[str, str | None]:
    """The scale's letter and the cleaned comment, or the error that says how to fix it."""
    letter = scale.match(answer.grade)
    if letter is None:
        raise InvalidInput(
            msg("answer.grade_invalid", grade=answer.grade[:20], grades=scale.hint())
        )
    if answer.comment is None:
        return letter, None
    comment = clean_text(answer.comment).strip()
    length = len(with_note(comment, answer.note))
    if length > MAX_COMMENT:
        raise InvalidInput(msg("answer.comment_too_long", limit=MAX_COMMENT, length=length))
    return letter, comment


class _Slot:
    """One slot of the department as the batch finds it (plain columns, no ORM objects:
    loading 10–60 reports, items and departments as mapped objects cost more than the
    statement), updated in place as the batch's answers are applied."""

    __slots__ = ("comment", "display", "grade", "number", "report_id", "revision", "seen")

    def __init__(self, row: Any) -> None:
        self.report_id: int = row.report_id
        self.number: int = row.number
        self.display = join_code(row.code, row.is_priority, row.title, row.code_spaced, node=False)
        self.grade: str | None = row.grade
        self.comment: str = row.comment
        self.revision: int = row.revision
        self.seen: bool = bool(row.seen)  # holds an answer of the batch's deliveries already


_ITEMS = Item.__table__
_ASSIGNMENTS = Assignment.__table__
_DEPARTMENTS = Department.__table__
assert isinstance(_ITEMS, Table)
assert isinstance(_ASSIGNMENTS, Table)
assert isinstance(_DEPARTMENTS, Table)
_REVISIONS = ReportRevision.__table__
assert isinstance(_REVISIONS, Table)
# The department's slots of the round, locked (FOR UPDATE on PostgreSQL), each with whether
# it already holds an answer carrying one of the batch's source keys (a redelivery: source
# keys are unique, and a delivery's answers are stored together, on their own slots), in
# one statement. The keys are plain bind parameters, as many as a power of two (padded with
# NULL, which matches nothing): an expanding IN is rendered again at every execution, which
# cost a DM answer 4% of its CPU; so there is one statement per size, each built once.
_SLOT_COLUMNS = (
    Report.__table__.c.id.label("report_id"),
    Report.__table__.c.grade,
    Report.__table__.c.comment,
    Report.__table__.c.revision,
    _ITEMS.c.number,
    _ITEMS.c.code,
    _ITEMS.c.is_priority,
    _ITEMS.c.title,
    _ITEMS.c.code_spaced,
    _DEPARTMENTS.c.name.label("department_name"),
)


@cache
def _lock_slots(size: int) -> Select[Any]:
    """The statement for up to `size` source keys (0, or a power of two)."""
    seen = (
        exists()
        .where(
            _REVISIONS.c.report_id == Report.__table__.c.id,
            _REVISIONS.c.source_key.in_([bindparam(f"key{i}") for i in range(size)]),
        )
        .label("seen")
        if size
        else false().label("seen")
    )
    return (
        select(*_SLOT_COLUMNS, seen)
        .select_from(Report.__table__)
        .join(_ASSIGNMENTS, _ASSIGNMENTS.c.id == Report.__table__.c.assignment_id)
        .join(_ITEMS, _ITEMS.c.id == _ASSIGNMENTS.c.item_id)
        .join(_DEPARTMENTS, _DEPARTMENTS.c.id == _ASSIGNMENTS.c.department_id)
        .where(
            Report.__table__.c.round_id == bindparam("round_id"),
            _ASSIGNMENTS.c.department_id == bindparam("department_id"),
        )
        .order_by(_ITEMS.c.position, Report.__table__.c.id)
        .with_for_update(of=Report.__table__)
    )


def _locked_slots(
    session: Session, *, round_id: int, department_id: int, keys: Sequence[str]
) -> Sequence[Row[Any]]:
    size = 1 << (len(keys) - 1).bit_length() if keys else 0
    params: dict[str, Any] = {"round_id": round_id, "department_id": department_id}
    params.update((f"key{i}", keys[i] if i < len(keys) else None) for i in range(size))
    return session.execute(_lock_slots(size), params).all()


@dataclass
class _Checked:
    """A validated batch: the department's slots (locked) and each answer's letter and comment."""

    round: AnswerableRound
    department_id: int
    department_name: str
    slots: list[_Slot]
    answers: list[tuple[AnswerInput, str, str | None]]


def _check(
    session: Session,
    *,
    round_id: int,
    department_id: int,
    answers: Sequence[AnswerInput],
    acting_as_office: bool = False,
) -> _Checked:
    rnd = round_for_answers(session, round_id=round_id)
    takes_answers(rnd, acting_as_office=acting_as_office)
    scale = GradeScale.from_json(rnd.scale)
    keys = [a.source_key for a in answers if a.source_key]
    found = _locked_slots(session, round_id=round_id, department_id=department_id, keys=keys)
    if found:
        department_name = found[0].department_name
    else:
        department = session.get(Department, department_id)
        if department is None:
            raise NotFound(msg("department.not_found_id", department=department_id))
        department_name = department.name
    slots = [_Slot(row) for row in found]
    numbers = {slot.number for slot in slots}
    answers = _to_originals(session, plan_id=rnd.plan_id, answers=answers, known=numbers)
    errors: list[AnswerError] = []
    checked: list[tuple[AnswerInput, str, str | None]] = []
    unknown: list[AnswerInput] = []
    for answer in answers:
        try:
            letter, comment = _check_values(answer, scale)
        except HokokuError as exc:
            errors.append(AnswerError(answer.line_no, answer.item_number, exc))
            continue
        if answer.item_number not in numbers:
            unknown.append(answer)
        checked.append((answer, letter, comment))
    if unknown:
        errors.extend(
            _unknown_items(session, rnd=rnd, department_name=department_name, answers=unknown)
        )
    if errors:
        errors.sort(key=lambda e: (e.line_no or 0, e.item_number))
        raise AnswersRejected(errors)
    return _Checked(rnd, department_id, department_name, slots, checked)


def _to_originals(
    session: Session, *, plan_id: int, answers: Sequence[AnswerInput], known: set[int]
) -> Sequence[AnswerInput]:
    """Answers typed with a (再掲) item's number go to its original (only when any number is
    not one of the department's own: no query otherwise)."""
    typed = {a.item_number for a in answers if a.item_number not in known}
    typed = {n for n in typed if 0 < n <= MAX_ITEM_NUMBER}
    if not typed:
        return answers
    original = aliased(Item)
    rows = session.execute(
        select(Item.number, original.number)
        .join(original, original.id == Item.repost_of_id)
        .where(Item.plan_id == plan_id, Item.number.in_(typed))
    )
    moved = {repost: number for repost, number in rows}
    if not moved:
        return answers
    return [replace(a, item_number=moved.get(a.item_number, a.item_number)) for a in answers]


def check_answers(
    session: Session,
    *,
    round_id: int,
    department_id: int,
    answers: Sequence[AnswerInput],
    acting_as_office: bool = False,
) -> None:
    """Raise AnswersRejected listing every invalid answer of the batch; writes nothing."""
    _check(
        session,
        round_id=round_id,
        department_id=department_id,
        answers=answers,
        acting_as_office=acting_as_office,
    )


_REPORTS = Report.__table__
assert isinstance(_REPORTS, Table)
_REPORT_COLUMNS = ("revision", "grade", "comment", "reporter", "channel", "submitted_at")
# The same statement shape for every answer, so a batch is one executemany on SQLite (the
# ORM's flush would group rows by the set of columns that changed: two UPDATEs when a
# revision changes only the comment and another the grade too). PostgreSQL: `_WRITE_PG`.
_UPDATE_REPORT = (
    update(_REPORTS)
    .where(_REPORTS.c.id == bindparam("report_id"))
    .values({name: bindparam(f"new_{name}") for name in _REPORT_COLUMNS})
)


def submit_answers(
    session: Session,
    *,
    round_id: int,
    department_id: int,
    answers: Sequence[AnswerInput],
    reporter: str,
    channel: str,
    now: datetime | None = None,
    acting_as_office: bool = False,
) -> BatchResult:
    """Validate and store a batch of answers of one department, all or nothing.

    Every revision is kept; an answer equal to what is stored writes nothing (UNCHANGED);
    one whose `source_key` was already stored is a redelivery (DUPLICATE). Answers to the
    same item later in the batch revise the earlier ones, in order. Raises AnswersRejected
    listing every invalid answer; then nothing was written.

    `acting_as_office`: the office (事務局) enters answers it received by mail or on paper.
    It may do so in a closed round too (late entry); every answer it stores is audited
    (`proxy_answer`, with `late_entry` when the round was closed), and the slot's current
    channel is `office` (status: 代理入力) while its revision keeps `channel`.
    """
    checked = _check(
        session,
        round_id=round_id,
        department_id=department_id,
        answers=answers,
        acting_as_office=acting_as_office,
    )
    department = checked.department_name
    slots = {slot.number: slot for slot in checked.slots}
    seen: set[str] = set()  # source keys stored by this batch
    when = now or utcnow()
    # Status counts the current answer by how it came in: an office's proxy entry is 代理入力
    # whatever it was typed in (each revision keeps the channel used).
    current_channel = CHANNEL_PROXY if acting_as_office else channel
    outcomes: list[SubmitOutcome] = []
    revisions: list[dict[str, object]] = []
    updates: dict[int, dict[str, object]] = {}  # report id → its new values (the last wins)
    for answer, letter, comment in checked.answers:
        report = slots[answer.item_number]
        if answer.source_key and (report.seen or answer.source_key in seen):
            outcomes.append(_outcome(DUPLICATE, report, department))
            continue
        new_comment = with_note(report.comment if comment is None else comment, answer.note)
        if report.grade == letter and report.comment == new_comment:
            outcomes.append(_outcome(UNCHANGED, report, department))
            continue
        status = STORED if report.grade is None else REVISED
        changed = {
            "revision": report.revision + 1,
            "grade": letter,
            "comment": new_comment,
            "reporter": reporter,
            "channel": current_channel,
            "submitted_at": when,
        }
        report.revision, report.grade, report.comment = report.revision + 1, letter, new_comment
        updates[report.report_id] = {
            "report_id": report.report_id,
            **{f"new_{k}": v for k, v in changed.items()},
        }
        revisions.append(
            {
                "report_id": report.report_id,
                "revision": report.revision,
                "grade": letter,
                "comment": new_comment,
                "reporter": reporter,
                "channel": channel,
                "source_key": answer.source_key,
                "created_at": when,
                "kind": ANSWERED,
                "message_key": answer.message_key,
                "proxy": acting_as_office,
                "withdrawn_at": None,
            }
        )
        if answer.source_key:
            seen.add(answer.source_key)
        if acting_as_office:
            session.add(
                AuditEntry(
                    actor=reporter,
                    action="proxy_answer",
                    detail={
                        "round": checked.round.id,
                        "department": department,
                        "item": report.number,
                        "grade": letter,
                        "revision": report.revision,
                        "late_entry": checked.round.is_closed,
                    },
                )
            )
        outcomes.append(_outcome(status, report, department))
    if updates:
        _write(
            session,
            updates=list(updates.values()),
            revisions=revisions,
            reporter=reporter,
            current_channel=current_channel,
            channel=channel,
            when=when,
            proxy=acting_as_office,
        )
        _refresh_loaded(session, updates.values())
    return BatchResult(
        outcomes=tuple(outcomes),
        department_name=department,
        slots=tuple(SlotState(slot.number, slot.display, slot.grade) for slot in checked.slots),
    )


_INSERT_REVISION = insert(_REVISIONS)


def _write(
    session: Session,
    *,
    updates: list[dict[str, object]],
    revisions: list[dict[str, object]],
    reporter: str,
    current_channel: str,
    channel: str,
    when: datetime,
    proxy: bool,
) -> None:
    """Write a batch's new current answers and their revisions (every answer that changed a
    slot has both).

    PostgreSQL: one statement, whatever the number of answers (`_WRITE_PG`). psycopg runs
    an executemany as one statement per row (pipelined): for a 10-answer page that was 20
    statements to send, parse and wait for, the largest part of the ack's time. SQLite: one
    executemany for the UPDATE and one for the revisions (in-process: each row is cheap, and
    SQLite has no data-modifying CTE)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(_UPDATE_REPORT, updates)
        session.execute(_INSERT_REVISION, revisions)
        return
    params: dict[str, object] = {
        "reporter": reporter,
        "current_channel": current_channel,
        "channel": channel,
        "when": when,
        "kind": ANSWERED,
        "proxy": proxy,
    }
    for name in ("report_id", "revision", "grade", "comment"):
        params[f"u_{name}"] = [u[name if name == "report_id" else f"new_{name}"] for u in updates]
    for name in ("report_id", "revision", "grade", "comment", "source_key", "message_key"):
        params[f"r_{name}"] = [r[name] for r in revisions]
    session.execute(_WRITE_PG, params)


def _array(name: str, type_: Any) -> Any:
    """A list bound as one PostgreSQL array of `type_`."""
    return cast(bindparam(name), ARRAY(type_))


# PostgreSQL: the batch's UPDATE and its revisions' INSERT as one statement, whatever the
# number of answers (the rows come as arrays, unnested: the same statement text every time,
# so it is compiled once and psycopg can prepare it). The UPDATE runs in a data-modifying
# CTE; the INSERT's rows do not read it (each revision's values are given), so the two
# writes do not depend on the order PostgreSQL runs them in.
_CHANGED = (
    func.unnest(
        _array("u_report_id", Integer),
        _array("u_revision", Integer),
        _array("u_grade", String),
        _array("u_comment", Text),
    )
    .table_valued("report_id", "revision", "grade", "comment")
    .render_derived(name="changed")
)
_ADDED = (
    func.unnest(
        _array("r_report_id", Integer),
        _array("r_revision", Integer),
        _array("r_grade", String),
        _array("r_comment", Text),
        _array("r_source_key", String),
        _array("r_message_key", String),
    )
    .table_valued("report_id", "revision", "grade", "comment", "source_key", "message_key")
    .render_derived(name="added")
)
_WRITE_PG = (
    insert(_REVISIONS)
    .from_select(
        [
            "report_id",
            "revision",
            "grade",
            "comment",
            "reporter",
            "channel",
            "source_key",
            "created_at",
            "kind",
            "message_key",
            "proxy",
        ],
        select(
            _ADDED.c.report_id,
            _ADDED.c.revision,
            _ADDED.c.grade,
            _ADDED.c.comment,
            bindparam("reporter", type_=String),
            bindparam("channel", type_=String),
            _ADDED.c.source_key,
            bindparam("when", type_=UTCDateTime()),
            bindparam("kind", type_=String),
            _ADDED.c.message_key,
            bindparam("proxy", type_=Boolean),
        ),
    )
    .add_cte(
        update(_REPORTS)
        .where(_REPORTS.c.id == _CHANGED.c.report_id)
        .values(
            revision=_CHANGED.c.revision,
            grade=_CHANGED.c.grade,
            comment=_CHANGED.c.comment,
            reporter=bindparam("reporter"),
            channel=bindparam("current_channel"),
            submitted_at=bindparam("when"),
        )
        .cte("updated")
    )
)


def _refresh_loaded(session: Session, updates: Iterable[dict[str, object]]) -> None:
    """Reports this session already holds as objects show what the UPDATE wrote (the
    batch itself reads plain columns)."""
    for values in updates:
        key = session.identity_key(Report, values["report_id"])
        loaded = session.identity_map.get(key)
        if loaded is not None:
            for name in _REPORT_COLUMNS:
                set_committed_value(loaded, name, values[f"new_{name}"])


def _unknown_items(
    session: Session, *, rnd: AnswerableRound, department_name: str, answers: Sequence[AnswerInput]
) -> list[AnswerError]:
    """Say for each answer whether its item is not in the plan or not this department's."""
    numbers = {a.item_number for a in answers if 0 < a.item_number <= MAX_ITEM_NUMBER}
    in_plan = set(
        session.scalars(
            select(Item.number).where(Item.plan_id == rnd.plan_id, Item.number.in_(numbers))
        )
    )
    errors = []
    for answer in answers:
        if answer.item_number in in_plan:
            error: HokokuError = PermissionDenied(
                msg("answer.not_your_item", item=answer.item_number, department=department_name)
            )
        else:
            error = NotFound(msg("answer.no_such_item", item=answer.item_number))
        errors.append(AnswerError(answer.line_no, answer.item_number, error))
    return errors


def submit_answer(
    session: Session,
    *,
    round_id: int,
    department_id: int,
    item_number: int,
    grade: str,
    comment: str | None,
    reporter: str,
    channel: str,
    source_key: str | None = None,
    now: datetime | None = None,
    acting_as_office: bool = False,
) -> SubmitOutcome:
    """Validate and store one answer; keeps every revision. `comment=None` keeps the old one.

    `acting_as_office`: a late or proxy entry by the office (see `submit_answers`).
    """
    try:
        result = submit_answers(
            session,
            round_id=round_id,
            department_id=department_id,
            answers=[AnswerInput(item_number, grade, comment, source_key)],
            reporter=reporter,
            channel=channel,
            now=now,
            acting_as_office=acting_as_office,
        )
    except AnswersRejected as exc:
        raise exc.errors[0].error from None
    return result.outcomes[0]


def _outcome(status: str, slot: _Slot, department_name: str) -> SubmitOutcome:
    return SubmitOutcome(
        status=status,
        item_number=slot.number,
        item_display=slot.display,
        department_name=department_name,
        grade=slot.grade or "",
        comment=slot.comment,
        revision=slot.revision,
    )


def slot_count(session: Session, *, round_id: int, department_id: int) -> int:
    """How many slots the department has in the round (a form's page count)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Report)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .where(Report.round_id == round_id, Assignment.department_id == department_id)
        )
        or 0
    )


def node_paths(session: Session, *, plan_id: int) -> dict[int, tuple[str, ...]]:
    """The hierarchy of every node of a plan, top first (`I 人権の尊重`, `I-1★ …`), by one query."""
    chains = node_chains(session, plan_id=plan_id)
    return {node_id: tuple(node.display for node in chain) for node_id, chain in chains.items()}


def round_slots(session: Session, *, round_id: int) -> list[SlotView]:
    """Every department's slots of the round (plan order, departments mixed), as
    `department_slots` gives one department's (`department_id=None`): what the inquiry
    forms of all departments are written from, in the same fixed number of queries."""
    return department_slots(session, round_id=round_id, department_id=None)


def department_slots(
    session: Session,
    *,
    round_id: int,
    department_id: int | None,
    pending_only: bool = False,
    item_number: int | None = None,
    with_paths: bool = True,
) -> list[SlotView]:
    """The department's slots in plan order, with last year's answer when there is one.

    `item_number` narrows it to that one item (a button press needs one slot, not 60);
    `with_paths=False` skips the hierarchy (a text list needs none). A fixed number of
    queries, however many items and plan nodes.
    """
    rnd = get_round(session, round_id=round_id)
    prev = previous_round(session, rnd=rnd)
    query: Select[*tuple[Any, ...]] = (
        select(Report, Item, Department)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(Report.round_id == round_id)
        .order_by(Item.position, Report.id)
    )
    if department_id is not None:
        query = query.where(Assignment.department_id == department_id)
    if prev is not None:  # last year's answer: the same item, or the one it continues
        before = previous_join(rnd, prev)
        query = before.apply(query.add_columns(before.report.grade, before.report.comment))
    else:
        query = query.add_columns(null(), null())
    if pending_only:
        query = query.where(Report.grade.is_(None))
    if item_number is not None:
        if not 0 < item_number <= MAX_ITEM_NUMBER:
            return []
        query = query.where(Item.number == item_number)
    rows = session.execute(query).all()
    paths = node_paths(session, plan_id=rnd.plan_id) if with_paths and rows else {}
    return [
        SlotView(
            report_id=report.id,
            item_number=item.number,
            item_code=item.code,
            item_title=item.title,
            item_display=item.display,
            path=paths.get(item.node_id, ()) if item.node_id is not None else (),
            department_id=dept.id,
            department_name=dept.name,
            grade=report.grade,
            comment=report.comment,
            revision=report.revision,
            previous_grade=last_grade,
            previous_comment=last_comment or "",
        )
        for report, item, dept, last_grade, last_comment in rows
    ]
