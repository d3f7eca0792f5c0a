"""What is due at a given moment: one planned send per (round, target, purpose family).

Reads the database, writes nothing. For each open round: the latest due ask (request,
reminder or overdue chase) goes to every active chat identity of each department that
still has unanswered items; the latest due digest goes to every office identity. Older
planned sends that were missed (scheduler down) are not returned: they are superseded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.ports import PURPOSE_DIGEST, PURPOSE_REQUEST, Target
from models import ROLE_OFFICE, ChatIdentity, Department, Notification, Plan, Round
from scheduler.calendar import BusinessCalendar
from scheduler.messages import pending_by_department, pending_counts
from scheduler.schedule import Schedule, latest_due, round_calendar

LONG_IN_LIST = 500


@dataclass(frozen=True)
class DueSend:
    """One message that should exist in the outbox (enqueued if absent)."""

    key: str
    round_id: int
    identity_id: int
    target: Target
    department_id: int | None
    department_name: str
    purpose: str
    day: date
    due_at: datetime
    items: tuple[int, ...]

    def as_json(self) -> dict[str, object]:
        """The `hokoku remind --dry-run --json` shape."""
        return {
            "target": f"{self.target.platform}:{self.target.kind}:{self.target.external_id}",
            "department": self.department_name,
            "purpose": self.purpose,
            "items": list(self.items),
            "round": self.round_id,
            "day": self.day.isoformat(),
            "key": self.key,
        }


def notification_key(*, round_id: int, identity_id: int, purpose: str, day: date | None) -> str:
    """The unique outbox key. The request has no date: it goes to a target once per round."""
    base = f"r{round_id}:i{identity_id}:{purpose}"
    if purpose == PURPOSE_REQUEST or day is None:
        return base
    return f"{base}:{day.isoformat()}"


def _target(identity: ChatIdentity) -> Target:
    return Target(
        platform=identity.platform,
        external_id=identity.external_id,
        kind=identity.kind,
        workspace=identity.workspace,
        language=identity.language,
    )


def open_rounds(
    session: Session, *, organization_id: int | None = None, round_id: int | None = None
) -> list[Round]:
    query = select(Round).join(Plan).where(Round.closed_at.is_(None)).order_by(Round.id)
    if organization_id is not None:
        query = query.where(Plan.organization_id == organization_id)
    if round_id is not None:
        query = query.where(Round.id == round_id)
    return list(session.scalars(query))


def department_identities(session: Session, *, department_ids: list[int]) -> list[ChatIdentity]:
    """Every active identity linked to these departments (members and office alike)."""
    if not department_ids:
        return []
    return list(
        session.scalars(
            select(ChatIdentity)
            .where(ChatIdentity.department_id.in_(department_ids), ChatIdentity.active.is_(True))
            .order_by(ChatIdentity.department_id, ChatIdentity.id)
        )
    )


def office_identities(session: Session, *, organization_id: int) -> list[ChatIdentity]:
    return list(
        session.scalars(
            select(ChatIdentity)
            .where(
                ChatIdentity.organization_id == organization_id,
                ChatIdentity.role == ROLE_OFFICE,
                ChatIdentity.active.is_(True),
            )
            .order_by(ChatIdentity.id)
        )
    )


def ask_sends(
    session: Session,
    *,
    rnd: Round,
    purpose: str,
    day: date,
    due_at: datetime,
    only_new: bool = True,
) -> list[DueSend]:
    """The ask of `purpose` to every identity of every department with unanswered items.

    `only_new`: leave out targets whose row for this key is already in the outbox.
    """
    counts = pending_counts(session, round_id=rnd.id)
    missing = [dept for dept, (_, pending) in sorted(counts.items()) if pending]
    names = {
        dept_id: name
        for dept_id, name in session.execute(
            select(Department.id, Department.name).where(Department.id.in_(missing))
        )
    }
    identities = department_identities(session, department_ids=missing)
    keys = {
        identity.id: notification_key(
            round_id=rnd.id, identity_id=identity.id, purpose=purpose, day=day
        )
        for identity in identities
    }
    done = existing_keys(session, keys=list(keys.values())) if only_new else set()
    wanted = {i.department_id for i in identities if keys[i.id] not in done}
    # One query for all of them (past a few hundred ids, reading the whole round is cheaper).
    pending = (
        pending_by_department(
            session, rnd=rnd, department_ids=wanted if len(wanted) <= LONG_IN_LIST else None
        )
        if wanted
        else {}
    )
    items = {dept: tuple(p.number for p in found) for dept, found in pending.items()}
    sends: list[DueSend] = []
    for identity in identities:
        if keys[identity.id] in done:
            continue
        dept = identity.department_id
        sends.append(
            DueSend(
                key=keys[identity.id],
                round_id=rnd.id,
                identity_id=identity.id,
                target=_target(identity),
                department_id=dept,
                department_name=names.get(dept, ""),
                purpose=purpose,
                day=day,
                due_at=due_at,
                items=items.get(dept, ()),
            )
        )
    return sends


def existing_keys(session: Session, *, keys: list[str]) -> set[str]:
    """Which of these outbox keys already exist (in any status)."""
    if not keys:
        return set()
    return set(session.scalars(select(Notification.key).where(Notification.key.in_(keys))))


def digest_sends(
    session: Session, *, rnd: Round, day: date, due_at: datetime, organization_id: int
) -> list[DueSend]:
    counts = pending_counts(session, round_id=rnd.id)
    after_deadline = day > rnd.deadline
    if after_deadline and not any(p for _, p in counts.values()):
        return []  # after the deadline the digest only reports who is missing
    missing = tuple(sorted(dept for dept, (_, pending) in counts.items() if pending))
    offices = office_identities(session, organization_id=organization_id)
    keys = {
        identity.id: notification_key(
            round_id=rnd.id, identity_id=identity.id, purpose=PURPOSE_DIGEST, day=day
        )
        for identity in offices
    }
    done = existing_keys(session, keys=list(keys.values()))
    return [
        DueSend(
            key=keys[identity.id],
            round_id=rnd.id,
            identity_id=identity.id,
            target=_target(identity),
            department_id=None,
            department_name=identity.department.name,
            purpose=PURPOSE_DIGEST,
            day=day,
            due_at=due_at,
            items=missing,
        )
        for identity in offices
        if keys[identity.id] not in done
    ]


def due_sends(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    organization_id: int | None = None,
    round_id: int | None = None,
) -> list[DueSend]:
    """Everything that should have been sent by `now`, is still relevant and not yet queued.

    Nothing is due outside the send window (weekends, holidays, 年末年始, before the send
    time): a send missed on Friday goes out on the next business day, unless a newer one
    of its family is due by then.
    """
    sends: list[DueSend] = []
    for rnd in open_rounds(session, organization_id=organization_id, round_id=round_id):
        schedule = Schedule.from_json(rnd.schedule)
        if not calendar.is_send_window(now, schedule.send_time):
            continue
        today = calendar.local_date(now)
        planned = round_calendar(
            opens_on=rnd.opens_on,
            deadline=rnd.deadline,
            schedule=schedule,
            calendar=calendar,
            until=today,
        )
        org_id = rnd.plan.organization_id
        ask = latest_due(planned, family="ask", today=today)
        if ask is not None:
            due_at = calendar.send_moment(ask.day, schedule.send_time)
            sends += ask_sends(session, rnd=rnd, purpose=ask.purpose, day=ask.day, due_at=due_at)
        digest = latest_due(planned, family=PURPOSE_DIGEST, today=today)
        if digest is not None:
            due_at = calendar.send_moment(digest.day, schedule.send_time)
            sends += digest_sends(
                session, rnd=rnd, day=digest.day, due_at=due_at, organization_id=org_id
            )
    return sends
