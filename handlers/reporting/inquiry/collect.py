"""Collecting returned 照会様式: each file's answers stored as revisions on the excel channel.

Every file is on its own (a savepoint each): all its answers are stored, or none, and a
refused file does not stop the others. A file is refused, with a message that says which,
when it is not a form that can be read (`handlers.reporting.inquiry.read`), when it is a
form of another round or (with `department_id`) of another department, when its slots are
no longer that department's slots in the round (the plan changed after the forms were
written), when a cell holds a grade outside the round's scale or a comment without a grade
(every such cell named: `回答!E12: 「E」は達成度にありません`), or when the round no longer
takes answers.

Stored through `submit_answers`, so revisions, validation and locking are the chat's. Each
answer's `source_key` is the file's SHA-256 and the slot: the same file collected twice
stores nothing the second time; the same answers in another file (re-saved, renamed) are
UNCHANGED. A blank line changes nothing, and a grade without a comment keeps the stored
comment (the form does not show the current answer, so a blank must not erase it). Every
file that stored something is audited (`excel_answers`) with its name, digest and who
filled it in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import HokokuError, NotFound
from handlers.i18n import FiscalYear, Message, msg
from handlers.reporting.inquiry.read import FilledForm, FormRefused, read_form
from handlers.reporting.reports import (
    DUPLICATE,
    MAX_COMMENT,
    REVISED,
    STORED,
    UNCHANGED,
    AnswerInput,
    AnswersRejected,
    submit_answers,
)
from handlers.reporting.rounds import get_round
from handlers.scale import GradeScale
from models import Assignment, AuditEntry, Department, Item, Report, Round

CHANNEL = "excel"
AUDIT_ACTION = "excel_answers"
MAX_NAME = 150  # of a file name kept in the audit log and as reporter


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file: counts by outcome, or the problems that refused it."""

    name: str
    department: str = ""  # '' when the file was refused before its seal was read
    stored: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicate: int = 0
    problems: tuple[Message, ...] = ()  # any: nothing of this file was stored

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def written(self) -> int:
        """Revisions this file added."""
        return self.stored + self.revised

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.name,
            "department": self.department,
            "stored": self.stored,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "duplicate": self.duplicate,
            "refused": self.refused,
        }


def describe(outcome: FileOutcome) -> tuple[Message, ...]:
    """What to tell the office of one file (`hokoku round collect`, the console's upload):
    a line, and under a file refused for several cells one line per cell."""
    if outcome.refused:
        if len(outcome.problems) == 1:
            return (
                msg("cli.round.collect.refused", file=outcome.name, reason=outcome.problems[0]),
            )
        # Not a plural entry of the catalogs: `count` is a parameter here, not msg()'s count.
        head = Message(
            "cli.round.collect.refused_cells",
            {"file": outcome.name, "count": len(outcome.problems)},
        )
        return (head, *outcome.problems)
    if not outcome.written and not outcome.unchanged:
        return (
            msg(
                "cli.round.collect.nothing_new",
                file=outcome.name,
                department=outcome.department,
            ),
        )
    return (
        msg(
            "cli.round.collect.stored",
            file=outcome.name,
            department=outcome.department,
            stored=outcome.stored,
            revised=outcome.revised,
            unchanged=outcome.unchanged,
        ),
    )


@dataclass(frozen=True)
class CollectResult:
    round_id: int
    files: tuple[FileOutcome, ...]

    @property
    def refused(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if f.refused)

    @property
    def written(self) -> int:
        return sum(f.written for f in self.files)


def collect_forms(
    session: Session,
    *,
    round_id: int,
    files: Sequence[tuple[str, bytes]],
    collector: str,
    department_id: int | None = None,
    now: datetime | None = None,
) -> CollectResult:
    """Read and store the forms `files` (name, bytes) for round `round_id`.

    `department_id`: only that department's forms are taken (a department uploading its
    own); `collector` is who collects, for the audit log (`cli:tanaka`, `web:…`). The
    caller commits; each file already is all or nothing inside the transaction.
    """
    rnd = get_round(session, round_id=round_id)
    expected = session.get(Department, department_id) if department_id is not None else None
    if department_id is not None and expected is None:
        raise NotFound(msg("department.not_found_id", department=department_id))
    outcomes = tuple(
        _collect_one(
            session,
            rnd=rnd,
            name=name,
            data=data,
            expected=expected,
            collector=collector,
            now=now,
        )
        for name, data in files
    )
    return CollectResult(round_id=round_id, files=outcomes)


def _collect_one(
    session: Session,
    *,
    rnd: Round,
    name: str,
    data: bytes,
    expected: Department | None,
    collector: str,
    now: datetime | None,
) -> FileOutcome:
    try:
        form = read_form(name, data)
    except FormRefused as exc:
        return FileOutcome(name=name, problems=(exc.msg,))
    seal = form.seal
    department = seal.department
    digest = _digest(data)
    refusal = _refusal(session, rnd=rnd, form=form, expected=expected)
    if refusal is not None:
        return FileOutcome(name=name, department=department, problems=(refusal,))
    answers, problems = _answers(form, GradeScale.from_json(rnd.scale), digest=digest)
    if not answers and not problems:
        problems = (msg("inquiry.empty"),)
    if problems:
        return FileOutcome(name=name, department=department, problems=problems)
    try:
        with session.begin_nested():  # this file's answers and audit entry, or nothing
            result = submit_answers(
                session,
                round_id=rnd.id,
                department_id=seal.department_id,
                answers=answers,
                reporter=(form.person or name)[:MAX_NAME],
                channel=CHANNEL,
                now=now,
            )
            counts = {
                status: sum(1 for o in result.outcomes if o.status == status)
                for status in (STORED, REVISED, UNCHANGED, DUPLICATE)
            }
            if counts[STORED] or counts[REVISED]:
                session.add(
                    AuditEntry(
                        actor=collector,
                        action=AUDIT_ACTION,
                        detail={
                            "round": rnd.id,
                            "department": department,
                            "file": name[:MAX_NAME],
                            "sha256": digest,
                            "person": form.person,
                            "contact": form.person_contact,
                            "stored": counts[STORED],
                            "revised": counts[REVISED],
                        },
                    )
                )
    except AnswersRejected as exc:
        problems = tuple(e.error.msg for e in exc.errors)
        return FileOutcome(name=name, department=department, problems=problems)
    except HokokuError as exc:  # the round closed meanwhile, the department is gone …
        return FileOutcome(name=name, department=department, problems=(exc.msg,))
    return FileOutcome(
        name=name,
        department=department,
        stored=counts[STORED],
        revised=counts[REVISED],
        unchanged=counts[UNCHANGED],
        duplicate=counts[DUPLICATE],
    )


def _refusal(
    session: Session, *, rnd: Round, form: FilledForm, expected: Department | None
) -> Message | None:
    """Why a well-formed form cannot be taken in this round (another round, another
    department, slots that are no longer the department's), or None."""
    seal = form.seal
    if seal.round_id != rnd.id:
        return msg(
            "inquiry.other_round",
            year=FiscalYear(seal.fiscal_year),
            round=seal.round_id,
            current=FiscalYear(rnd.fiscal_year),
            current_round=rnd.id,
        )
    if expected is not None and seal.department_id != expected.id:
        return msg("inquiry.other_department", department=seal.department, expected=expected.name)
    rows = session.execute(
        select(Report.id, Item.number)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Report.round_id == rnd.id, Assignment.department_id == seal.department_id)
    )
    current = {report_id: number for report_id, number in rows}
    for slot in seal.slots:
        if current.get(slot.report_id) != slot.item_number:
            return msg("inquiry.outdated", item=slot.item_number, department=seal.department)
    return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _answers(
    form: FilledForm, scale: GradeScale, *, digest: str
) -> tuple[list[AnswerInput], tuple[Message, ...]]:
    """The typed lines as answers, or every cell that is wrong (blank lines are skipped)."""
    answers: list[AnswerInput] = []
    problems: list[Message] = []
    for slot in form.slots:
        if not slot.grade and not slot.comment:
            continue
        if not slot.grade:
            problems.append(msg("inquiry.grade_missing", cell=slot.grade_cell))
            continue
        letter = scale.match(slot.grade)
        if letter is None:
            problems.append(
                msg(
                    "inquiry.grade_invalid",
                    cell=slot.grade_cell,
                    grade=slot.grade[:20],
                    grades=scale.hint(),
                )
            )
            continue
        if len(slot.comment) > MAX_COMMENT:
            problems.append(
                msg(
                    "inquiry.comment_too_long",
                    cell=slot.comment_cell,
                    length=len(slot.comment),
                    limit=MAX_COMMENT,
                )
            )
            continue
        answers.append(
            AnswerInput(
                item_number=slot.item_number,
                grade=letter,
                comment=slot.comment or None,
                source_key=f"{CHANNEL}:{digest}:{slot.report_id}",
                line_no=slot.row,
            )
        )
    return answers, tuple(problems)
