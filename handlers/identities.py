"""Linking chat identities (Slack user/channel, LINE user/group) to departments and roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.normalize import fold_key
from models import (
    ROLE_MEMBER,
    ROLE_OFFICE,
    AuditEntry,
    ChatIdentity,
    Department,
    InviteCode,
    utcnow,
)

INVITE_TTL = timedelta(days=14)
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
    rows = session.execute(
        select(ChatIdentity, Department)
        .join(Department, Department.id == ChatIdentity.department_id)
        .where(
            ChatIdentity.platform == platform,
            ChatIdentity.external_id == external_id,
            ChatIdentity.active.is_(True),
        )
        .order_by(Department.name)
    )
    result = [
        Membership(
            identity_id=ident.id,
            department_id=dept.id,
            department_name=dept.name,
            role=ident.role,
            kind=ident.kind,
        )
        for ident, dept in rows
    ]
    return sorted(result, key=lambda m: not m.is_office)


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


def redeem_invite(
    session: Session,
    *,
    code: str,
    platform: str,
    external_id: str,
    kind: str = "user",
    workspace: str = "",
    now: datetime | None = None,
) -> Membership:
    """Link the caller with a one-time code; unknown, used or expired codes explain what to do."""
    now = now or utcnow()
    invite = session.scalar(
        select(InviteCode).where(InviteCode.code == fold_key(code)).with_for_update()
    )
    if invite is None:
        raise InvalidInput(
            f"招待コード「{code}」が見つかりません。事務局から届いたコードをそのまま入力してください。"
        )
    if invite.used_at is not None:
        raise InvalidInput(
            "この招待コードはすでに使われています。事務局に新しいコードを依頼してください。"
        )
    if invite.expires_at <= now:
        raise InvalidInput(
            "この招待コードは有効期限切れです。事務局に新しいコードを依頼してください。"
        )
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
    )
