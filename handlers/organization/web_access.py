"""Signing in to the web console without an identity provider: one-time links and sessions.

A link is a random 256-bit token in a URL (`/web/signin/{token}`) for one department and
role. `hokoku web link` and the chat's `web` command make links that work once and expire
after `LINK_TTL`; an answer link mailed to a department (`single_use=False`, its own
expiry, one round) works until it expires or is revoked. Opening a link starts a session:
its token goes into the browser's signed cookie, and the session ends after `IDLE` without
a request, at the link's expiry for answer links, at sign-out or when revoked.

Only SHA-256 digests of tokens are stored (as for published charts): a copy of the database
opens nothing. Failed links (unknown, used, expired, revoked) are counted per client in
`invite_failures`, like wrong invite codes, and after `INVITE_FAILURE_LIMIT` within
`INVITE_FAILURE_WINDOW` refused, audited.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound, TooManyAttempts
from handlers.i18n import msg
from handlers.organization.identities import INVITE_FAILURE_LIMIT, INVITE_FAILURE_WINDOW
from models import ROLE_OFFICE, AuditEntry, Department, InviteFailure, WebLink, WebSession

LINK_TTL = timedelta(minutes=15)
IDLE = timedelta(hours=8)
# A session's last request is written at most this often (a poll every few seconds must not
# take SQLite's writer lock each time).
TOUCH_EVERY = timedelta(minutes=5)
TOKEN_BYTES = 32
PLATFORM = "web"  # what failures are counted under in invite_failures
SIGN_IN_PATH = "/web/signin/"
# What `secrets.token_urlsafe(32)` produces: 43 characters of the URL-safe alphabet.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")

ENDED_SIGNED_OUT = "signed_out"
ENDED_REVOKED = "revoked"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def well_formed(token: str) -> bool:
    """Could this be a token we made (checked before any lookup)?"""
    return bool(_TOKEN.match(token))


def _audit(session: Session, *, actor: str, action: str, **detail: object) -> None:
    session.add(AuditEntry(actor=actor, action=action, detail=dict(detail)))


@dataclass(frozen=True)
class IssuedLink:
    """A link just made: the token is shown once (only its digest is kept)."""

    id: int
    token: str
    department_name: str
    role: str
    expires_at: datetime

    @property
    def path(self) -> str:
        return SIGN_IN_PATH + self.token

    @property
    def office(self) -> bool:
        return self.role == ROLE_OFFICE


def create_link(
    session: Session,
    *,
    department: Department,
    role: str,
    person: str,
    created_by: str,
    now: datetime,
    ttl: timedelta = LINK_TTL,
    single_use: bool = True,
    round_id: int | None = None,
    language: str | None = None,
) -> IssuedLink:
    """A new sign-in link for `department` with `role` (audited; the token is returned once)."""
    if ttl <= timedelta(0):
        raise InvalidInput(msg("web.link_ttl"))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = WebLink(
        organization_id=department.organization_id,
        token_hash=digest(token),
        department_id=department.id,
        role=role,
        person=person[:200],
        language=language,
        round_id=round_id,
        single_use=single_use,
        created_by=created_by[:200],
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(link)
    session.flush()
    _audit(
        session,
        actor=created_by,
        action="web_link",
        link=link.id,
        department=department.name,
        role=role,
        person=person,
        expires_at=link.expires_at.isoformat(),
        single_use=single_use,
    )
    return IssuedLink(link.id, token, department.name, role, link.expires_at)


@dataclass(frozen=True)
class WebCaller:
    """Who a signed-in browser is: one department, a role, the person the link was for."""

    session_id: int
    organization_id: int
    department_id: int
    department_name: str
    role: str
    person: str
    language: str | None
    round_id: int | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime | None

    @property
    def is_office(self) -> bool:
        return self.role == ROLE_OFFICE

    def due_for_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY

    @property
    def reporter(self) -> str:
        """What answers stored from this browser record as their reporter."""
        return self.person or f"web:session{self.session_id}"


@dataclass(frozen=True)
class StartedSession:
    token: str  # for the cookie; only its digest is stored
    caller: WebCaller


def _refuse_guessing(session: Session, *, client: str, now: datetime) -> None:
    """After INVITE_FAILURE_LIMIT failed links from this client in the window, refuse."""
    since = now - INVITE_FAILURE_WINDOW
    count, oldest = session.execute(
        select(func.count(), func.min(InviteFailure.at)).where(
            InviteFailure.platform == PLATFORM,
            InviteFailure.sender == client,
            InviteFailure.at > since,
        )
    ).one()
    if count < INVITE_FAILURE_LIMIT:
        return
    _audit(session, actor=f"{PLATFORM}:{client}", action="web_link_throttled", failures=count)
    wait = max(1, -(-int((oldest + INVITE_FAILURE_WINDOW - now).total_seconds()) // 60))
    raise TooManyAttempts(msg("web.too_many", failures=INVITE_FAILURE_LIMIT, minutes=wait))


def _problem(link: WebLink | None, now: datetime) -> tuple[str, str]:
    """(reason for the audit, message id) of a link that does not sign in."""
    if link is None:
        return "unknown", "web.link_unknown"
    if link.revoked_at is not None:
        return "revoked", "web.link_revoked"
    if link.single_use and link.used_at is not None:
        return "used", "web.link_used"
    if link.expires_at <= now:
        return "expired", "web.link_expired"
    return "", ""


def redeem_link(
    session: Session, *, token: str, client: str, now: datetime, organization_id: int
) -> StartedSession:
    """Start a session with a link, or raise saying why not (unknown, used, expired,
    revoked, or too many failures from this client).

    The caller must commit even when this raises, so that the failure is counted.
    """
    client = client[:100] or "unknown"
    _refuse_guessing(session, client=client, now=now)
    link = (
        session.scalar(
            select(WebLink)
            .where(WebLink.token_hash == digest(token), WebLink.organization_id == organization_id)
            .with_for_update()
        )
        if well_formed(token)
        else None
    )
    reason, message_id = _problem(link, now)
    if link is None or reason:
        session.add(InviteFailure(platform=PLATFORM, sender=client, at=now))
        _audit(
            session,
            actor=f"{PLATFORM}:{client}",
            action="web_link_refused",
            reason=reason,
            link=link.id if link else None,
        )
        raise InvalidInput(msg(message_id))
    if link.single_use:
        link.used_at = now
    department = session.get_one(Department, link.department_id)
    session_token = secrets.token_urlsafe(TOKEN_BYTES)
    row = WebSession(
        organization_id=link.organization_id,
        token_hash=digest(session_token),
        link_id=link.id,
        department_id=link.department_id,
        role=link.role,
        person=link.person,
        language=link.language,
        round_id=link.round_id,
        client=client,
        created_at=now,
        last_seen_at=now,
        expires_at=None if link.single_use else link.expires_at,
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        actor=link.person or f"{PLATFORM}:{client}",
        action="web_signin",
        link=link.id,
        web_session=row.id,
        department=department.name,
        role=link.role,
        client=client,
    )
    return StartedSession(session_token, _caller(row, department))


def _caller(row: WebSession, department: Department) -> WebCaller:
    return WebCaller(
        session_id=row.id,
        organization_id=row.organization_id,
        department_id=row.department_id,
        department_name=department.name,
        role=row.role,
        person=row.person,
        language=row.language,
        round_id=row.round_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
    )


def _live(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Not ended, not idle too long, not past the link's expiry."""
    return (
        WebSession.ended_at.is_(None),
        WebSession.last_seen_at > now - IDLE,
        (WebSession.expires_at.is_(None)) | (WebSession.expires_at > now),
    )


def find_session(session: Session, *, token: str, now: datetime) -> WebCaller | None:
    """The live session of this cookie token (one query), or None."""
    if not well_formed(token):
        return None
    row = session.execute(
        select(WebSession, Department)
        .join(Department, Department.id == WebSession.department_id)
        .where(WebSession.token_hash == digest(token), *_live(now))
    ).first()
    return _caller(row[0], row[1]) if row else None


def touch(session: Session, *, session_id: int, now: datetime) -> None:
    """Record a request (the idle clock restarts)."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def set_language(session: Session, *, session_id: int, language: str) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id)
        .values(language=language)
        .execution_options(synchronize_session=False)
    )


def sign_out(session: Session, *, caller: WebCaller, now: datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.id == caller.session_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=ENDED_SIGNED_OUT)
        .execution_options(synchronize_session=False)
    )
    _audit(
        session,
        actor=caller.reporter,
        action="web_signout",
        web_session=caller.session_id,
        department=caller.department_name,
    )


@dataclass(frozen=True)
class SessionView:
    """One session as `hokoku web sessions` lists it."""

    id: int
    department_name: str
    role: str
    person: str
    client: str
    created_at: datetime
    last_seen_at: datetime
    idle_until: datetime
    ended_at: datetime | None
    end_reason: str

    @property
    def live(self) -> bool:
        return self.ended_at is None


def list_sessions(
    session: Session, *, organization_id: int, now: datetime, include_ended: bool = False
) -> list[SessionView]:
    """Sessions of the organization, newest first: the live ones, or every one."""
    query = (
        select(WebSession, Department.name)
        .join(Department, Department.id == WebSession.department_id)
        .where(WebSession.organization_id == organization_id)
        .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
    )
    if not include_ended:
        query = query.where(*_live(now))
    views = []
    for row, name in session.execute(query):
        idle_until = row.last_seen_at + IDLE
        if row.expires_at is not None:
            idle_until = min(idle_until, row.expires_at)
        ended = row.ended_at
        reason = row.end_reason
        if ended is None and idle_until <= now:
            ended, reason = idle_until, "idle"
        views.append(
            SessionView(
                id=row.id,
                department_name=name,
                role=row.role,
                person=row.person,
                client=row.client,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                idle_until=idle_until,
                ended_at=ended,
                end_reason=reason,
            )
        )
    return views


def revoke_sessions(
    session: Session,
    *,
    organization_id: int,
    actor: str,
    now: datetime,
    session_ids: Sequence[int] = (),
    department: Department | None = None,
    everyone: bool = False,
) -> int:
    """End live sessions: these ids, every one of a department, or all (audited).

    A session's link is revoked with it, so an answer link cannot start a new one.
    """
    if not (session_ids or department is not None or everyone):
        raise InvalidInput(msg("web.revoke_what"))
    query = select(WebSession.id, WebSession.link_id).where(
        WebSession.organization_id == organization_id, *_live(now)
    )
    if session_ids:
        query = query.where(WebSession.id.in_(list(session_ids)))
    if department is not None:
        query = query.where(WebSession.department_id == department.id)
    rows = session.execute(query).all()
    if session_ids and not rows:
        raise NotFound(msg("web.session_not_found", sessions=", ".join(map(str, session_ids))))
    ids = [row[0] for row in rows]
    links = {row[1] for row in rows if row[1] is not None}
    if ids:
        session.execute(
            update(WebSession)
            .where(WebSession.id.in_(ids))
            .values(ended_at=now, end_reason=ENDED_REVOKED)
            .execution_options(synchronize_session=False)
        )
    if links:
        session.execute(
            update(WebLink)
            .where(WebLink.id.in_(links), WebLink.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
    _audit(
        session,
        actor=actor,
        action="web_revoke",
        sessions=ids,
        department=department.name if department is not None else None,
        everyone=everyone,
    )
    return len(ids)


def revoke_link(
    session: Session, *, link_id: int, organization_id: int, actor: str, now: datetime
) -> int:
    """Revoke one link and end the sessions it started (an e-mailed answer link)."""
    link = session.get(WebLink, link_id)
    if link is None or link.organization_id != organization_id:
        raise NotFound(msg("web.link_not_found", link=link_id))
    if link.revoked_at is None:
        link.revoked_at = now
    ended = session.execute(
        update(WebSession)
        .where(WebSession.link_id == link_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=ENDED_REVOKED)
        .execution_options(synchronize_session=False)
    )
    _audit(session, actor=actor, action="web_link_revoked", link=link_id)
    return int(ended.rowcount)  # type: ignore[attr-defined]
