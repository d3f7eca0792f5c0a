"""The revisions of one report slot: who answered what, when, through which channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import NotFound
from handlers.i18n import msg
from handlers.reporting.reports import find_slot
from handlers.reporting.rounds import get_round
from models import Assignment, Report, ReportRevision


@dataclass(frozen=True)
class RevisionView:
    revision: int
    grade: str
    comment: str
    reporter: str
    channel: str
    created_at: datetime


def slot_history(
    session: Session, *, round_id: int, department_id: int, item_number: int
) -> list[RevisionView]:
    """Every answer ever stored for item × department in this round, oldest first."""
    get_round(session, round_id=round_id)
    found = find_slot(
        session, round_id=round_id, department_id=department_id, item_number=item_number
    )
    if found is None:
        raise NotFound(msg("history.not_assigned", item=item_number))
    rows = session.scalars(
        select(ReportRevision)
        .where(ReportRevision.report_id == found[0].id)
        .order_by(ReportRevision.revision)
    )
    return [
        RevisionView(
            revision=r.revision,
            grade=r.grade,
            comment=r.comment,
            reporter=r.reporter,
            channel=r.channel,
            created_at=r.created_at,
        )
        for r in rows
    ]


def department_history(
    session: Session, *, round_id: int, department_id: int
) -> dict[int, list[RevisionView]]:
    """Every revision of a department's slots in the round, by report id, oldest first (one
    query, for a department's page)."""
    rows = session.scalars(
        select(ReportRevision)
        .join(Report, Report.id == ReportRevision.report_id)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .where(Report.round_id == round_id, Assignment.department_id == department_id)
        .order_by(ReportRevision.report_id, ReportRevision.revision)
    )
    found: dict[int, list[RevisionView]] = {}
    for r in rows:
        found.setdefault(r.report_id, []).append(
            RevisionView(
                revision=r.revision,
                grade=r.grade,
                comment=r.comment,
                reporter=r.reporter,
                channel=r.channel,
                created_at=r.created_at,
            )
        )
    return found
