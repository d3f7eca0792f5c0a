"""Signing in to the web console without an identity provider: one-time links and sessions.

A link is a random 256-bit token in a URL (`/web/signin/{token}`) for one department and
role. `hokoku web link` and the chat's `web` command make links that work once and expire
after `LINK_TTL`; an answer link mailed to a department (`issue_answer_link`:
`single_use=False`, valid until the round's last chase, one round, its token a function of
the e-mail's purpose key) works until it expires, is revoked, or its round closes. Opening
a link starts a session: its token goes into the browser's signed cookie, and the session
ends after `IDLE` without a request, at the link's expiry for answer links, at sign-out or
when revoked.

Only SHA-256 digests of tokens are stored (as for published charts): a copy of the database
opens nothing. Failed links (unknown, used, expired, revoked) are counted per client in
`invite_failures`, like wrong invite codes, and after `INVITE_FAILURE_LIMIT` within
`INVITE_FAILURE_WINDOW` refused, audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from handlers.errors import HokokuError, InvalidInput, NotFound, RoundClosed, TooManyAttempts
from handlers.i18n import FiscalYear, msg
from handlers.organization.identities import INVITE_FAILURE_LIMIT, INVITE_FAILURE_WINDOW
from models import (
    ROLE_MEMBER,
    ROLE_OFFICE,
    AuditEntry,
    Department,
    InviteFailure,
    Round,
    WebLink,
    WebSession,
)

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
# What answers stored through a session record as their channel: an e-mailed answer link's
# session answers on "email" (status: メールのリンク), any other on "web".
CHANNEL_WEB = "web"
CHANNEL_EMAIL_LINK = "email"


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
    return _store_link(
        session,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        department=department,
        role=role,
        person=person,
        language=language,
        round_id=round_id,
        single_use=single_use,
        created_by=created_by,
        now=now,
        expires_at=now + ttl,
        action="web_link",
        audit={"role": role, "single_use": single_use},
    )


def _store_link(
    session: Session,
    *,
    token: str,
    department: Department,
    role: str,
    person: str,
    language: str | None,
    round_id: int | None,
    single_use: bool,
    created_by: str,
    now: datetime,
    expires_at: datetime,
    action: str,
    audit: dict[str, object],
) -> IssuedLink:
    """Store the link of `token` (only its hash) and audit it as `action`: the link, the
    department, the person and the expiry, and what `audit` adds."""
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
        expires_at=expires_at,
    )
    session.add(link)
    session.flush()
    _audit(
        session,
        actor=created_by,
        action=action,
        link=link.id,
        department=department.name,
        **audit,
        person=person,
        expires_at=link.expires_at.isoformat(),
    )
    return IssuedLink(link.id, token, department.name, role, link.expires_at)


def answer_token(secret: str, *, organization_id: int, purpose: str) -> str:
    """The token of an e-mailed answer link, a function of the message's purpose key.

    HMAC-SHA256 with the server's secret (HOKOKU_SECRET_KEY) over the organization and the
    outbox's purpose key (and the address it goes to): a message sent again after a crash
    carries the same URL, and nobody without the secret can compute one. 43 characters of
    the URL-safe alphabet, like `secrets.token_urlsafe(32)`.
    """
    mac = hmac.new(
        secret.encode(), f"answer-link\n{organization_id}\n{purpose}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def issue_answer_link(
    session: Session,
    *,
    department: Department,
    round_id: int,
    person: str,
    language: str | None,
    expires_at: datetime,
    now: datetime,
    token: str | None = None,
    created_by: str = "email",
) -> IssuedLink:
    """A department's personal answer link for one round, as an e-mail carries it.

    Not single-use (the department saves, comes back, revises), role member, valid until
    `expires_at` (the round's last chase), revocable. With `token` (`answer_token`), the
    link of that token is returned again if it exists and is not revoked (a resend after a
    crash); a revoked one is replaced by a fresh random token. A later link for the same
    round and address extends the earlier, unrevoked ones to its expiry (a deadline moved
    later keeps the first mail's link working as long as the last one's).
    """
    if expires_at <= now:
        raise InvalidInput(msg("web.link_ttl"))
    if token is not None:
        found = session.scalar(select(WebLink).where(WebLink.token_hash == digest(token)))
        if found is not None and found.revoked_at is None:
            return IssuedLink(found.id, token, department.name, found.role, found.expires_at)
        if found is not None:
            token = None
    token = token or secrets.token_urlsafe(TOKEN_BYTES)
    person = person[:200]
    session.execute(
        update(WebLink)
        .where(
            WebLink.round_id == round_id,
            WebLink.department_id == department.id,
            WebLink.person == person,
            WebLink.single_use.is_(False),
            WebLink.revoked_at.is_(None),
            WebLink.expires_at < expires_at,
        )
        .values(expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    return _store_link(
        session,
        token=token,
        department=department,
        role=ROLE_MEMBER,
        person=person,
        language=language,
        round_id=round_id,
        single_use=False,
        created_by=created_by,
        now=now,
        expires_at=expires_at,
        action="web_answer_link",
        audit={"round": round_id},
    )


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

    @property
    def by_answer_link(self) -> bool:
        """Signed in by an e-mailed answer link (the only links tied to one round)."""
        return self.round_id is not None and not self.is_office

    @property
    def channel(self) -> str:
        """The channel answers stored from this browser record (status says who answered how)."""
        return CHANNEL_EMAIL_LINK if self.by_answer_link else CHANNEL_WEB


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


def _problem(session: Session, link: WebLink | None, now: datetime) -> HokokuError | None:
    """Why a link does not sign in (None: it does)."""
    if link is None:
        return InvalidInput(msg("web.link_unknown"))
    if link.revoked_at is not None:
        return InvalidInput(msg("web.link_revoked"))
    if link.single_use and link.used_at is not None:
        return InvalidInput(msg("web.link_used"))
    if link.expires_at <= now:
        return InvalidInput(
            msg("web.link_expired" if link.single_use else "web.answer_link_expired")
        )
    rnd = session.get(Round, link.round_id) if link.round_id is not None else None
    if rnd is not None and rnd.is_closed and link.role != ROLE_OFFICE:
        # An answer link after close: the chat's words for a closed round.
        return RoundClosed(msg("round.closed", year=FiscalYear(rnd.fiscal_year)))
    return None


_REASONS = {
    "web.link_unknown": "unknown",
    "web.link_revoked": "revoked",
    "web.link_used": "used",
    "web.link_expired": "expired",
    "web.answer_link_expired": "expired",
    "round.closed": "round_closed",
}


@dataclass(frozen=True)
class LinkPreview:
    """What the sign-in page says of a link before it is used (nothing is counted or used)."""

    language: str | None
    answer_link: bool  # an e-mailed answer link: reusable until `expires_at`
    department_name: str
    expires_at: datetime


def preview_link(session: Session, *, token: str, organization_id: int) -> LinkPreview | None:
    """The link of `token` as the sign-in page shows it (None: unknown): the page and its
    refusals speak the language the link was made for."""
    if not well_formed(token):
        return None
    row = session.execute(
        select(WebLink, Department.name)
        .join(Department, Department.id == WebLink.department_id)
        .where(WebLink.token_hash == digest(token), WebLink.organization_id == organization_id)
    ).first()
    if row is None:
        return None
    link, name = row
    return LinkPreview(
        language=link.language,
        answer_link=not link.single_use and link.round_id is not None,
        department_name=name,
        expires_at=link.expires_at,
    )


def redeem_link(
    session: Session, *, token: str, client: str, now: datetime, organization_id: int
) -> StartedSession:
    """Start a session with a link, or raise saying why not (unknown, used, expired,
    revoked, an answer link whose round is closed: RoundClosed with the chat's message, or
    too many failures from this client).

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
    problem = _problem(session, link, now)
    if link is None or problem is not None:
        problem = problem or InvalidInput(msg("web.link_unknown"))
        if not isinstance(problem, RoundClosed):  # a closed round is no guess: not counted
            session.add(InviteFailure(platform=PLATFORM, sender=client, at=now))
        _audit(
            session,
            actor=f"{PLATFORM}:{client}",
            action="web_link_refused",
            reason=_REASONS.get(problem.msg.id, problem.msg.id),
            link=link.id if link else None,
        )
        raise problem
    if link.single_use or link.used_at is None:
        link.used_at = now  # a reusable answer link: when it was first opened (answer_links)
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


@dataclass(frozen=True)
class AnswerLinks:
    """The answer links one address of a department was e-mailed for one round, taken
    together (each request, reminder and chase carries a link of its own, and a later one
    extends the earlier ones): whether the department has opened them is what the office
    asks when a department that answers by e-mail stays silent."""

    department_id: int
    department_name: str
    person: str  # the e-mail address
    sent: int
    last_sent_at: datetime
    opened_at: datetime | None  # the first time one of them signed someone in
    expires_at: datetime
    revoked: bool  # every one of them revoked

    @property
    def opened(self) -> bool:
        return self.opened_at is not None


def answer_links(session: Session, *, organization_id: int, round_id: int) -> list[AnswerLinks]:
    """The round's e-mailed answer links by department and address, in department order."""
    rows = session.execute(
        select(
            Department.id,
            Department.name,
            WebLink.person,
            func.count(WebLink.id),
            func.max(WebLink.created_at),
            func.min(WebLink.used_at),
            func.max(WebLink.expires_at),
            func.count(WebLink.revoked_at),
        )
        .join(Department, Department.id == WebLink.department_id)
        .where(
            WebLink.organization_id == organization_id,
            WebLink.round_id == round_id,
            WebLink.single_use.is_(False),
        )
        .group_by(Department.id, Department.name, WebLink.person)
        .order_by(Department.id, WebLink.person)
    )
    return [
        AnswerLinks(
            department_id=dept_id,
            department_name=name,
            person=person,
            sent=int(sent),
            last_sent_at=last_sent,
            opened_at=opened,
            expires_at=expires,
            revoked=int(revoked) == int(sent),
        )
        for dept_id, name, person, sent, last_sent, opened, expires, revoked in rows
    ]


@dataclass(frozen=True)
class Revoked:
    """What `revoke_sessions` ended: live sessions, and answer links that no longer open."""

    sessions: int
    links: int


def revoke_sessions(
    session: Session,
    *,
    organization_id: int,
    actor: str,
    now: datetime,
    session_ids: Sequence[int] = (),
    department: Department | None = None,
    everyone: bool = False,
) -> Revoked:
    """End live sessions: these ids, every one of a department, or all (audited).

    A session's link is revoked with it, so an answer link cannot start a new one; per
    department or for all, every answer link still valid is revoked too, opened or not
    (a mailed link that was forwarded). The next e-mail carries a new link.
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
    if department is not None or everyone:
        answer_links = select(WebLink.id).where(
            WebLink.organization_id == organization_id,
            WebLink.single_use.is_(False),
            WebLink.revoked_at.is_(None),
            WebLink.expires_at > now,
        )
        if department is not None:
            answer_links = answer_links.where(WebLink.department_id == department.id)
        links |= set(session.scalars(answer_links))
    revoked = 0
    if links:
        result = session.execute(
            update(WebLink)
            .where(WebLink.id.in_(links), WebLink.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        revoked = int(result.rowcount)  # type: ignore[attr-defined]
    _audit(
        session,
        actor=actor,
        action="web_revoke",
        sessions=ids,
        links=sorted(links),
        department=department.name if department is not None else None,
        everyone=everyone,
    )
    return Revoked(sessions=len(ids), links=revoked)


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
