"""Linking chat identities (Slack user/channel, LINE user/group) to departments and roles."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, TooManyAttempts
from handlers.i18n import Message, msg
from handlers.normalize import fold_key
from models import (
    ROLE_MEMBER,
    ROLE_OFFICE,
    AuditEntry,
    ChatIdentity,
    Department,
    InviteCode,
    InviteFailure,
    utcnow,
)

INVITE_TTL = timedelta(days=14)
# Guessing an 8-character code is hopeless at this pace: 5 wrong codes per 15 minutes.
INVITE_FAILURE_LIMIT = 5
INVITE_FAILURE_WINDOW = timedelta(minutes=15)
# No 0/O, 1/I/L: codes are read aloud and typed on phones.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8


@dataclass(frozen=True)
class Membership:
    identity_id: int
    department_id: int
    department_name: str
    role: str
    kind: str
    language: str | None = None  # chosen with the `language` command (None: not chosen)
    home_opened: bool = False  # the identity has opened its Home tab (republished on answers)

    @property
    def is_office(self) -> bool:
        return self.role == ROLE_OFFICE


def _audit(session: Session, *, actor: str, action: str, **detail: object) -> None:
    session.add(AuditEntry(actor=actor, action=action, detail=dict(detail)))


def link_identity(
    session: Session,
    *,
    department: Department,
    platform: str,
    external_id: str,
    kind: str = "user",
    workspace: str = "",
    role: str = ROLE_MEMBER,
    actor: str = "",
) -> ChatIdentity:
    """Link (or re-activate) an identity to a department. Idempotent; office is never downgraded."""
    identity = session.scalar(
        select(ChatIdentity).where(
            ChatIdentity.platform == platform,
            ChatIdentity.external_id == external_id,
            ChatIdentity.department_id == department.id,
        )
    )
    if identity is None:
        identity = ChatIdentity(
            organization_id=department.organization_id,
            platform=platform,
            workspace=workspace,
            kind=kind,
            external_id=external_id,
            department_id=department.id,
            role=role,
        )
        session.add(identity)
    else:
        identity.active = True
        identity.unlinked_at = None
        if role == ROLE_OFFICE:
            identity.role = ROLE_OFFICE
    session.flush()
    _audit(
        session,
        actor=actor,
        action="link",
        platform=platform,
        external_id=external_id,
        kind=kind,
        department=department.name,
        role=identity.role,
    )
    return identity


def ensure_linked(
    session: Session,
    *,
    department: Department,
    platform: str,
    external_id: str,
    office: bool = False,
) -> None:
    """Link the identity to the department unless it already is (with the office's role
    when `office`); used where the caller says who they are (`hokoku console --dept`)."""
    have = next(
        (
            m
            for m in memberships(session, platform=platform, external_id=external_id)
            if m.department_id == department.id
        ),
        None,
    )
    if have is None or (office and not have.is_office):
        link_identity(
            session,
            department=department,
            platform=platform,
            external_id=external_id,
            role=ROLE_OFFICE if office else ROLE_MEMBER,
            actor=f"{platform}:{external_id}",
        )


def unlink_identity(
    session: Session,
    *,
    platform: str,
    external_id: str,
    actor: str = "",
    now: datetime | None = None,
) -> int:
    """Deactivate every link of this identity (LINE unfollow/leave); rows stay for the audit."""
    rows = session.scalars(
        select(ChatIdentity).where(
            ChatIdentity.platform == platform,
            ChatIdentity.external_id == external_id,
            ChatIdentity.active.is_(True),
        )
    ).all()
    for identity in rows:
        identity.active = False
        identity.unlinked_at = now or utcnow()
    if rows:
        _audit(session, actor=actor, action="unlink", platform=platform, external_id=external_id)
    return len(rows)


def memberships(session: Session, *, platform: str, external_id: str) -> list[Membership]:
    """Active links of one chat identity, office first then by department name."""
    rows = session.execute(MEMBERSHIPS, {"platform": platform, "external_id": external_id})
    return memberships_of(rows)


def memberships_of(rows: Iterable[Any]) -> list[Membership]:
    """The links of rows of MEMBERSHIPS (or a statement that adds columns to it), office
    first, then by department name."""
    result = [
        Membership(
            identity_id=row.id,
            department_id=row.department_id,
            department_name=row.name,
            role=row.role,
            kind=row.kind,
            language=row.language,
            home_opened=row.home_opened_at is not None,
        )
        for row in rows
    ]
    return sorted(result, key=lambda m: not m.is_office)


# Who is asking: read with every inbound message, so built once (plain columns). Binds
# `platform` and `external_id`.
_IDENTITIES = ChatIdentity.__table__
_DEPARTMENTS = Department.__table__
assert isinstance(_IDENTITIES, Table) and isinstance(_DEPARTMENTS, Table)
MEMBERSHIPS = (
    select(
        _IDENTITIES.c.id,
        _IDENTITIES.c.department_id,
        _DEPARTMENTS.c.name,
        _IDENTITIES.c.role,
        _IDENTITIES.c.kind,
        _IDENTITIES.c.language,
        _IDENTITIES.c.home_opened_at,
    )
    .join(_DEPARTMENTS, _DEPARTMENTS.c.id == _IDENTITIES.c.department_id)
    .where(
        _IDENTITIES.c.platform == bindparam("platform"),
        _IDENTITIES.c.external_id == bindparam("external_id"),
        _IDENTITIES.c.active.is_(True),
    )
    .order_by(_DEPARTMENTS.c.name)
)


def note_home_opened(
    session: Session, *, platform: str, external_id: str, now: datetime | None = None
) -> int:
    """Remember that this chat identity opened its Home tab (once: later openings change
    nothing); from now on its Home is republished after its answers."""
    result = session.execute(
        update(ChatIdentity)
        .where(
            ChatIdentity.platform == platform,
            ChatIdentity.external_id == external_id,
            ChatIdentity.home_opened_at.is_(None),
        )
        .values(home_opened_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def set_language(session: Session, *, platform: str, external_id: str, language: str) -> int:
    """Remember the language this chat identity reads (every active link of it)."""
    result = session.execute(
        update(ChatIdentity)
        .where(
            ChatIdentity.platform == platform,
            ChatIdentity.external_id == external_id,
            ChatIdentity.active.is_(True),
        )
        .values(language=language)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def create_invite(
    session: Session,
    *,
    department: Department,
    role: str = ROLE_MEMBER,
    now: datetime | None = None,
    ttl: timedelta = INVITE_TTL,
) -> InviteCode:
    now = now or utcnow()
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    invite = InviteCode(
        code=code, department_id=department.id, role=role, created_at=now, expires_at=now + ttl
    )
    session.add(invite)
    session.flush()
    return invite


def _refuse_guessing(session: Session, *, platform: str, sender: str, now: datetime) -> None:
    """After INVITE_FAILURE_LIMIT failures in the window, refuse (politely, audited)."""
    since = now - INVITE_FAILURE_WINDOW
    count, oldest = session.execute(
        select(func.count(), func.min(InviteFailure.at)).where(
            InviteFailure.platform == platform,
            InviteFailure.sender == sender,
            InviteFailure.at > since,
        )
    ).one()
    if count < INVITE_FAILURE_LIMIT:
        return
    _audit(session, actor=f"{platform}:{sender}", action="invite_refused", failures=count)
    wait = max(1, -(-int((oldest + INVITE_FAILURE_WINDOW - now).total_seconds()) // 60))
    raise TooManyAttempts(msg("invite.too_many", failures=INVITE_FAILURE_LIMIT, minutes=wait))


def _invite_problem(invite: InviteCode | None, *, code: str) -> Message:
    if invite is None:
        return msg("invite.unknown", code=code[:32])
    if invite.used_at is not None:
        return msg("invite.used")
    return msg("invite.expired")


def redeem_invite(
    session: Session,
    *,
    code: str,
    platform: str,
    external_id: str,
    kind: str = "user",
    workspace: str = "",
    sender: str | None = None,
    now: datetime | None = None,
) -> Membership:
    """Link the caller with a one-time code; unknown, used or expired codes explain what to do.

    `sender` is the person typing (in a group, not the group): failed codes are counted per
    sender, and after INVITE_FAILURE_LIMIT within INVITE_FAILURE_WINDOW they are refused.
    The caller must commit even when this raises, so the failure is remembered.
    """
    now = now or utcnow()
    who = sender or external_id
    _refuse_guessing(session, platform=platform, sender=who, now=now)
    invite = session.scalar(
        select(InviteCode).where(InviteCode.code == fold_key(code)[:32]).with_for_update()
    )
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        session.add(InviteFailure(platform=platform, sender=who, at=now))
        raise InvalidInput(_invite_problem(invite, code=code))
    department = session.get(Department, invite.department_id)
    assert department is not None  # foreign key
    identity = link_identity(
        session,
        department=department,
        platform=platform,
        external_id=external_id,
        kind=kind,
        workspace=workspace,
        role=invite.role,
        actor=f"{platform}:{external_id}",
    )
    invite.used_at = now
    invite.used_by_id = identity.id
    return Membership(
        identity_id=identity.id,
        department_id=department.id,
        department_name=department.name,
        role=identity.role,
        kind=identity.kind,
        language=identity.language,
    )
