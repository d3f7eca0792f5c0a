"""The revisions of one report slot: who answered what, when, through which channel.

Who: the person's name where the platform gave one (cached by the adapters, see
handlers.organization.people), and whether the office entered the answer for the
department (a proxy). What: an answer, or the withdrawal of a chat message's answers (an
unsend or delete; the answers it took back are marked `withdrawn`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import NotFound
from handlers.i18n import msg
from handlers.organization.people import known_names
from handlers.reporting.reports import find_slot
from handlers.reporting.rounds import get_round
from models import ANSWERED, Assignment, Department, Report, ReportRevision

# Channels whose `reporter` is already a person's own words (`hokoku report set --by`, the
# console's user), not a platform's id.
_NAMED_CHANNELS = frozenset({"office", "console", "import", "web", "email", "excel"})


@dataclass(frozen=True)
class RevisionView:
    revision: int
    grade: str | None  # None: a withdrawal that left the slot unanswered
    comment: str
    reporter: str
    channel: str
    created_at: datetime
    reporter_name: str | None = None  # None: the platform did not say who this id is
    proxy: bool = False  # the office entered it for the department
    kind: str = ANSWERED  # ANSWERED, or WITHDRAWAL
    withdrawn: bool = False  # an answer a later withdrawal took back
    department_name: str = ""


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
    rows = list(
        session.scalars(
            select(ReportRevision)
            .where(ReportRevision.report_id == found[0].id)
            .order_by(ReportRevision.revision)
        )
    )
    department = session.get(Department, department_id)
    names = _names(session, rows)
    return [_view(r, names, department.name if department else "") for r in rows]


def _names(session: Session, rows: list[ReportRevision]) -> dict[tuple[str, str], str]:
    """(platform, id) → the person's name, for the chat reporters among `rows` (one query
    per platform)."""
    names: dict[tuple[str, str], str] = {}
    for platform in {r.channel for r in rows if r.channel not in _NAMED_CHANNELS}:
        ids = {r.reporter for r in rows if r.channel == platform}
        found_names = known_names(session, platform=platform, ids=ids)
        names.update({(platform, k): v for k, v in found_names.items()})
    return names


def _view(
    r: ReportRevision, names: dict[tuple[str, str], str], department_name: str
) -> RevisionView:
    return RevisionView(
        revision=r.revision,
        grade=r.grade,
        comment=r.comment,
        reporter=r.reporter,
        channel=r.channel,
        created_at=r.created_at,
        reporter_name=(
            r.reporter or None
            if r.channel in _NAMED_CHANNELS
            else names.get((r.channel, r.reporter))
        ),
        proxy=r.proxy,
        kind=r.kind,
        withdrawn=r.withdrawn_at is not None,
        department_name=department_name,
    )


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
    revisions = list(rows)
    department = session.get(Department, department_id)
    names = _names(session, revisions)
    found: dict[int, list[RevisionView]] = {}
    for r in revisions:
        found.setdefault(r.report_id, []).append(
            _view(r, names, department.name if department else "")
        )
    return found
