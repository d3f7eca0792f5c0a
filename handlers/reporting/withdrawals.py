"""Taking a chat message's answers back: an unsend (LINE), a delete (Slack), or an edit that
no longer gives an answer it gave.

Every answer read from a chat message carries the message's key
(`ReportRevision.message_key`). Withdrawing the message marks those answers withdrawn and,
where one of them is the slot's current answer, puts the slot back to the answer before
it (the latest one not withdrawn), or to unanswered. Each slot touched gets a revision of
its own (kind WITHDRAWAL, with the slot's state after it), so the office's history shows
what was taken back, when and by whom. A closed round is not changed: its answers are the
committee's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    ANSWERED,
    WITHDRAWAL,
    Assignment,
    AuditEntry,
    Department,
    Item,
    Report,
    ReportRevision,
    Round,
)


@dataclass(frozen=True)
class Withdrawn:
    """One slot a withdrawal touched. `was`: what the message had answered; `grade` /
    `comment`: the slot's answer now (None: unanswered); `current`: the message's answer
    was the slot's current one, so the slot changed."""

    item_number: int
    item_display: str
    department_name: str
    was: str | None
    grade: str | None
    comment: str
    current: bool


@dataclass(frozen=True)
class WithdrawResult:
    withdrawn: tuple[Withdrawn, ...]
    closed: tuple[Withdrawn, ...]  # answers in a closed round: kept, not withdrawn
    round: Round | None  # the round the message answered (None: it answered nothing)
    department_id: int | None  # and for which department


@dataclass(frozen=True)
class Answered:
    """Where a message's live answers are: the round and the department they answer for."""

    round: Round
    department_id: int


def message_answered(session: Session, *, message_key: str) -> Answered | None:
    """The round and department of this message's live answers (None: it has none). A
    message answers for one department (the one its sender answered for then)."""
    row = session.execute(
        select(Round, Assignment.department_id)
        .join(Report, Report.round_id == Round.id)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(ReportRevision, ReportRevision.report_id == Report.id)
        .where(
            ReportRevision.message_key == message_key,
            ReportRevision.kind == ANSWERED,
            ReportRevision.withdrawn_at.is_(None),
        )
        .order_by(ReportRevision.id.desc())
        .limit(1)
    ).first()
    return None if row is None else Answered(row[0], row[1])


def withdraw_message(
    session: Session,
    *,
    message_key: str,
    reporter: str,
    channel: str,
    now: datetime,
    keep_items: Collection[int] = (),
) -> WithdrawResult:
    """Withdraw the live answers read from `message_key` (but those of `keep_items`, which
    an edit of the message just answered again). Idempotent: a second call finds nothing."""
    rows = session.execute(
        select(ReportRevision, Report, Round, Item, Department)
        .join(Report, Report.id == ReportRevision.report_id)
        .join(Round, Round.id == Report.round_id)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(
            ReportRevision.message_key == message_key,
            ReportRevision.kind == ANSWERED,
            ReportRevision.withdrawn_at.is_(None),
        )
        .order_by(Item.position, ReportRevision.revision)
        .with_for_update(of=Report)
        .execution_options(populate_existing=True)
    ).all()
    by_report: dict[int, list[ReportRevision]] = {}
    slots: dict[int, tuple[Report, Round, Item, Department]] = {}
    for revision, report, rnd, item, department in rows:
        if item.number in keep_items:
            continue
        by_report.setdefault(report.id, []).append(revision)
        slots[report.id] = (report, rnd, item, department)
    withdrawn: list[Withdrawn] = []
    closed: list[Withdrawn] = []
    for report_id, taken in by_report.items():
        report, rnd, item, department = slots[report_id]
        if rnd.is_closed:
            closed.append(_view(item, department, taken[-1], report, current=False))
            continue
        withdrawn.append(
            _withdraw(
                session,
                report=report,
                taken=taken,
                item=item,
                department=department,
                message_key=message_key,
                reporter=reporter,
                channel=channel,
                now=now,
            )
        )
    first = next(iter(slots.values()), None)
    return WithdrawResult(
        tuple(withdrawn),
        tuple(closed),
        first[1] if first else None,
        first[3].id if first else None,
    )


def _withdraw(
    session: Session,
    *,
    report: Report,
    taken: list[ReportRevision],
    item: Item,
    department: Department,
    message_key: str,
    reporter: str,
    channel: str,
    now: datetime,
) -> Withdrawn:
    live = list(
        session.scalars(
            select(ReportRevision)
            .where(
                ReportRevision.report_id == report.id,
                ReportRevision.kind == ANSWERED,
                ReportRevision.withdrawn_at.is_(None),
            )
            .order_by(ReportRevision.revision.desc())
        )
    )
    ids = {r.id for r in taken}
    current = bool(live) and live[0].id in ids
    for revision in taken:
        revision.withdrawn_at = now
    if current:
        before = next((r for r in live if r.id not in ids), None)
        report.grade = before.grade if before else None
        report.comment = before.comment if before else ""
        report.reporter = before.reporter if before else ""
        report.channel = before.channel if before else ""
        report.submitted_at = before.created_at if before else None
    report.revision += 1
    session.add(
        ReportRevision(
            report_id=report.id,
            revision=report.revision,
            grade=report.grade,
            comment=report.comment,
            reporter=reporter,
            channel=channel,
            created_at=now,
            kind=WITHDRAWAL,
            message_key=message_key,
        )
    )
    session.add(
        AuditEntry(
            at=now,
            actor=f"{channel}:{reporter}",
            action="answer_withdrawn",
            detail={
                "round": report.round_id,
                "department": department.name,
                "item": item.number,
                "withdrawn": taken[-1].grade,
                "now": report.grade,
                "message": message_key,
            },
        )
    )
    return _view(item, department, taken[-1], report, current=current)


def _view(
    item: Item, department: Department, last: ReportRevision, report: Report, *, current: bool
) -> Withdrawn:
    return Withdrawn(
        item_number=item.number,
        item_display=item.display,
        department_name=department.name,
        was=last.grade,
        grade=report.grade,
        comment=report.comment,
        current=current,
    )
