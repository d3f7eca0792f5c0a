"""Who may answer for which department: the one place that decides it, for every channel.

- A chat's links decide who it is: a 1:1 chat is the person, a group chat (LINE group,
  Slack channel) is the group, whose every member answers for its departments.
- A member answers for the departments the chat is linked to.
- The office (事務局) answers for any department of the organization. Every answer it
  stores is a proxy answer: audited as `proxy_answer` (with `late_entry` in a closed
  round, which only the office may still fill; see `handlers.reporting.reports.submit_answers`).
- Anyone else is refused, with a message saying what to do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, exists, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from handlers.errors import NotFound, PermissionDenied
from handlers.i18n import Message, msg
from handlers.interaction.dedupe import MAX_KEY, claim_event
from handlers.interaction.intents import Actor
from handlers.organization.identities import MEMBERSHIPS, Membership, memberships, memberships_of
from handlers.reporting.rounds import ROUND_COLUMNS, AnswerableRound, hand_on
from models import (
    ROLE_MEMBER,
    ROLE_OFFICE,
    Assignment,
    ConversationState,
    Department,
    Plan,
    ProcessedEvent,
    Report,
    Round,
)


@dataclass(frozen=True)
class Caller:
    """The links of the chat that acts (with the console's pinned department and role).
    `live_states`: the person may have conversation state in this chat (False: read
    with the links and found none, so a turn neither reads nor clears any)."""

    memberships: tuple[Membership, ...]
    live_states: bool = True

    @property
    def linked(self) -> bool:
        return bool(self.memberships)

    @property
    def office(self) -> bool:
        return any(m.is_office for m in self.memberships)

    def member_of(self, department_id: int) -> Membership | None:
        return next((m for m in self.memberships if m.department_id == department_id), None)

    @property
    def home_opened(self) -> bool:
        """The chat has opened its Home tab (an adapter republishes it after answers)."""
        return any(m.home_opened for m in self.memberships)

    @property
    def language(self) -> str | None:
        return next((m.language for m in self.memberships if m.language), None)


def caller_of(session: Session, actor: Actor, *, now: datetime | None = None) -> Caller:
    """The chat's active links (one query), office first, then by department name; the
    web console's session vouches for its own. With `now`, the same statement says
    whether the person has live conversation state in this chat."""
    if actor.links is not None:
        return Caller(actor.links)
    if now is None:
        found = memberships(session, platform=actor.platform, external_id=actor.chat_id)
        return _caller(actor, found, live=True)
    return _caller_of_rows(actor, session.execute(_LINKS_AND_STATES, _who(actor, now)).all())


def _who(actor: Actor, now: datetime) -> dict[str, object]:
    """The parameters of `_LINKS_AND_STATES` (and of the claim's statement built on it)."""
    return {
        "platform": actor.platform,
        "external_id": actor.chat_id,
        "person": actor.person,
        "now": now,
    }


def _caller_of_rows(actor: Actor, rows: Sequence[Any]) -> Caller:
    """The caller from rows of `_LINKS_AND_STATES` (none: an unlinked chat, whose states
    were not asked for)."""
    live = bool(rows[0].live_states) if rows else True
    return _caller(actor, memberships_of(rows), live=live)


def _caller(actor: Actor, found: list[Membership], *, live: bool) -> Caller:
    if actor.department_id is not None:  # the console speaks as one department only
        role = ROLE_OFFICE if actor.office else ROLE_MEMBER
        found = [
            dataclasses.replace(m, role=role)
            for m in found
            if m.department_id == actor.department_id
        ]
    return Caller(tuple(found), live_states=live)


def claimed_caller_of(
    session: Session, actor: Actor, *, delivery: str, now: datetime
) -> Caller | None:
    """Claim the delivery (`claim_event`) and read who acts (`caller_of`); None when the
    delivery was already handled (then who acts does not matter).

    On PostgreSQL both are one statement (`_CLAIM_LINKS_AND_STATES`, the claim in a
    data-modifying CTE): one round trip less for every delivery. A concurrent delivery of
    the same event still waits on the claim's unique index until the first transaction
    ends, and then claims nothing."""
    if actor.links is not None or session.get_bind().dialect.name != "postgresql":
        if not claim_event(session, platform=actor.platform, event_key=delivery, now=now):
            return None
        return caller_of(session, actor, now=now)
    params = {**_who(actor, now), "event_key": delivery[:MAX_KEY]}
    rows = session.execute(_CLAIM_LINKS_AND_STATES, params).all()
    if not rows[0].claimed:
        return None
    # An unlinked chat: one row of NULLs beside the claim.
    return _caller_of_rows(actor, [row for row in rows if row.id is not None])


_STATES = ConversationState.__table__
assert isinstance(_STATES, Table)
# Who asks, with whether they have any live conversation state in this chat (a question a
# grade button left open, a department chosen, a message waiting for that choice): most
# answers have none, and then the turn does not clear one.
_LINKS_AND_STATES = MEMBERSHIPS.add_columns(
    exists()
    .where(
        _STATES.c.platform == bindparam("platform"),
        _STATES.c.chat_id == bindparam("external_id"),
        _STATES.c.user_id == bindparam("person"),
        _STATES.c.expires_at > bindparam("now"),
    )
    .label("live_states")
)

_LINKS = _LINKS_AND_STATES.subquery("links")
_EVENTS = ProcessedEvent.__table__
assert isinstance(_EVENTS, Table)
_CLAIM: Any = (
    pg_insert(_EVENTS)
    .values(
        platform=bindparam("platform"),
        event_key=bindparam("event_key"),
        received_at=bindparam("now"),
    )
    .on_conflict_do_nothing(index_elements=["platform", "event_key"])
    .returning(_EVENTS.c.id)
    .cte("claim")
)
_CLAIMED = select(func.count().label("claimed")).select_from(_CLAIM).subquery("claimed")
# PostgreSQL: the delivery's claim and who asks, in one statement. Always one row at least
# (the claim's count, outer-joined to the links: NULLs for an unlinked chat).
_CLAIM_LINKS_AND_STATES = (
    select(_CLAIMED.c.claimed, _LINKS)
    .select_from(_CLAIMED)
    .outerjoin(_LINKS, true())
    .order_by(_LINKS.c.name)
)


@dataclass(frozen=True)
class Acting:
    """The department an answer is stored for, and whether the office enters it (proxy)."""

    department_id: int
    department_name: str
    proxy: bool


def not_linked(session: Session, actor: Actor) -> Message:
    """How to link this chat (`link CODE`, `/hokoku link CODE` on Slack). In a channel or
    group it is the chat that is not linked: the message says so, and tells a person who is
    linked themself that they can answer in their own chat with the bot."""
    prefix = actor.surface.command_prefix
    if not actor.in_group:
        return msg("link.required", prefix=prefix)
    own = memberships(session, platform=actor.platform, external_id=actor.person)
    if own:
        names = ", ".join(dict.fromkeys(m.department_name for m in own))
        return msg("link.required.group_person_linked", departments=names, prefix=prefix)
    return msg("link.required.group", prefix=prefix)


def answering_for(session: Session, caller: Caller, actor: Actor, department_id: int) -> Acting:
    """May this caller answer for the department? Raises PermissionDenied saying why not."""
    own = caller.member_of(department_id)
    if own is not None:
        return Acting(department_id, own.department_name, proxy=caller.office)
    if not caller.linked:
        raise PermissionDenied(not_linked(session, actor))
    organization_id = actor.organization_id
    department = department_in(
        session, organization_id=organization_id, department_id=department_id
    )
    if caller.office:
        return Acting(department.id, department.name, proxy=True)
    raise PermissionDenied(msg("access.other_department", department=department.name))


def signed_in(
    *, department_id: int, department_name: str, role: str, language: str | None
) -> Caller:
    """The caller of a web console session: one department, with the link's role."""
    return Caller(
        (
            Membership(
                identity_id=0,
                department_id=department_id,
                department_name=department_name,
                role=role,
                kind="user",
                language=language,
            ),
        )
    )


def require_office(caller: Caller) -> None:
    """Office pages (plan, rounds, reminders, downloads, audit, settings) and the export."""
    if not caller.office:
        raise PermissionDenied(msg("access.office_only"))


def may_view(
    session: Session, caller: Caller, *, organization_id: int, department_id: int
) -> Department:
    """A department's page: the office sees every department, a member only their own."""
    department = session.get(Department, department_id)
    if department is None or department.organization_id != organization_id:
        raise NotFound(msg("web.department_not_found"))
    if caller.office or caller.member_of(department_id) is not None:
        return department
    raise PermissionDenied(msg("web.other_department", department=department.name))


def department_in(session: Session, *, organization_id: int, department_id: int) -> Department:
    """A department of this organization (ids in buttons come from outside)."""
    department = session.get(Department, department_id)
    if department is None or department.organization_id != organization_id:
        raise NotFound(msg("button.stale"))
    return department


@dataclass(frozen=True)
class FormTarget:
    """What a form page needs of its round and department: the round's columns (handed on
    to the answers' check, `handlers.reporting.rounds.hand_on`), the department's id and
    name, and how many slots it has in the round (is this page the last?)."""

    round: AnswerableRound
    department_id: int
    department_name: str
    slots: int


def round_and_department(
    session: Session, *, organization_id: int, round_id: int, department_id: int
) -> FormTarget:
    """A round and a department of this organization with the number of the department's
    slots in the round, in one query of plain columns (every form page reads it)."""
    row = session.execute(
        _ROUND_AND_DEPARTMENT,
        {"organization_id": organization_id, "round_id": round_id, "department_id": department_id},
    ).first()
    if row is None:
        raise NotFound(msg("button.stale"))
    return FormTarget(hand_on(session, row), row.department_id, row.department_name, row.slots)


# Read with every page of a form: built once, of the tables' columns (three mapped
# entities cost a page as much as storing its answers).
_ROUNDS = Round.__table__
_PLANS = Plan.__table__
_DEPARTMENTS = Department.__table__
_REPORTS = Report.__table__
_ASSIGNMENTS = Assignment.__table__
assert isinstance(_ROUNDS, Table) and isinstance(_PLANS, Table)
assert isinstance(_DEPARTMENTS, Table) and isinstance(_REPORTS, Table)
assert isinstance(_ASSIGNMENTS, Table)
_ROUND_AND_DEPARTMENT = (
    select(
        *ROUND_COLUMNS,
        _DEPARTMENTS.c.id.label("department_id"),
        _DEPARTMENTS.c.name.label("department_name"),
        select(func.count(_REPORTS.c.id))
        .join(_ASSIGNMENTS, _ASSIGNMENTS.c.id == _REPORTS.c.assignment_id)
        .where(
            _REPORTS.c.round_id == _ROUNDS.c.id,
            _ASSIGNMENTS.c.department_id == _DEPARTMENTS.c.id,
        )
        .correlate(_ROUNDS, _DEPARTMENTS)
        .scalar_subquery()
        .label("slots"),
    )
    .select_from(_ROUNDS)
    .join(_PLANS, _PLANS.c.id == _ROUNDS.c.plan_id)
    .join(_DEPARTMENTS, _DEPARTMENTS.c.organization_id == _PLANS.c.organization_id)
    .where(
        _ROUNDS.c.id == bindparam("round_id"),
        _DEPARTMENTS.c.id == bindparam("department_id"),
        _PLANS.c.organization_id == bindparam("organization_id"),
    )
)
