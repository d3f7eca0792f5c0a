"""The e-mail implementation of the outbound port (handlers.ports.Messenger).

The outbox hands it a request, reminder, chase, digest or notice for one linked address;
it renders the e-mail in the reader's language (the address's `language`, else
HOKOKU_LANGUAGE), adds the department's personal answer link to requests, reminders and
chases (`answer_link_for`: the web console's answer page, signed in for that department),
and hands it to the mail server (bot.mail.smtp).

Nothing sent twice: the outbox claims a row once and marks it sent after the server said
250. A sender that dies between those two moments leaves the row claimed; after the lease
it is sent again with the same purpose key, hence the same Message-ID (bot.mail.compose),
which mail systems that de-duplicate by Message-ID deliver once. Residual window: a
recipient whose mail system keeps both copies sees that one message twice; SMTP offers no
way to ask a server whether it already holds a message, so no sender can close it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.mail.compose import compose
from bot.mail.smtp import SmtpServer, SmtpTransport
from bot.messengers import calendar_from_settings
from bot.settings import Settings
from handlers.i18n import DEFAULT_LANGUAGE, translator
from handlers.organization.web_access import answer_token, issue_answer_link
from handlers.ports import DeliveryError, OutboundMessage, RoundRequest, Target
from handlers.renderers import AnswerLink
from models import PLATFORM_EMAIL, Department, Round, utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, run_transaction
from scheduler.calendar import BusinessCalendar
from scheduler.schedule import Schedule, default_horizon


class AnswerLinks(Protocol):
    """Mints the personal answer link an e-mailed request carries (None: no link)."""

    def __call__(self, target: Target, request: RoundRequest, *, key: str) -> AnswerLink | None: ...


class Transport(Protocol):
    """Hands one e-mail to the mail server (bot.mail.smtp.SmtpTransport)."""

    def deliver(self, mail: EmailMessage) -> None: ...


def link_expiry(rnd: Round, calendar: BusinessCalendar) -> tuple[date, datetime]:
    """(the last day an answer link of `rnd` opens, the moment it stops): the deadline plus
    the chasing period (`scheduler.schedule.default_horizon`: a business day past the last
    chase), through the end of that day in the office's time zone."""
    last = default_horizon(
        deadline=rnd.deadline, schedule=Schedule.from_json(rnd.schedule), calendar=calendar
    )
    end = datetime.combine(last + timedelta(days=1), time(0), calendar.tz)
    return last, end.astimezone(UTC)


def answer_link_for(
    factory: sessionmaker[Session] | None,
    settings: Settings,
    calendar: BusinessCalendar,
    target: Target,
    request: RoundRequest,
    *,
    key: str,
    now: datetime | None = None,
) -> AnswerLink | None:
    """The personal link to `request.department_id`'s answer page for the reader `target`.

    THE ONE PLACE WHERE THE LINK IS MINTED (`handlers.organization.web_access.
    issue_answer_link`), in one transaction of `factory`: not single-use, role member, for
    the department and round of the request, the address as the person (the reporter of
    its answers) and its language, valid until the round's last chase (`link_expiry`). Its
    token is an HMAC of the purpose key with HOKOKU_SECRET_KEY, so a resend of `key` after
    a crash carries the same URL; without a secret key it is random (a resend then carries
    a second, equally valid link). None when there is no HOKOKU_PUBLIC_URL or database,
    or when the round's chasing is over. The web page refuses the link after the round
    closes (with the chat's message) or once revoked (`hokoku web revoke`).

    A database that cannot be written now is a temporary DeliveryError: the outbox sends
    the message later, with its link, rather than now without one.
    """
    public_url = settings.public_url
    if factory is None or public_url is None:
        return None
    now = now or utcnow()
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None

    def mint(session: Session) -> AnswerLink | None:
        rnd = session.get(Round, request.round_id)
        department = session.get(Department, request.department_id)
        if rnd is None or department is None:
            return None
        last, expires_at = link_expiry(rnd, calendar)
        if expires_at <= now:
            return None
        token = (
            answer_token(
                secret,
                organization_id=department.organization_id,
                purpose=f"{key}\n{target.external_id}",
            )
            if secret
            else None
        )
        issued = issue_answer_link(
            session,
            department=department,
            round_id=rnd.id,
            person=target.external_id,
            language=target.language,
            expires_at=expires_at,
            now=now,
            token=token,
            created_by=f"{PLATFORM_EMAIL}:{key}",
        )
        return AnswerLink(public_url + issued.path, valid_until=last)

    try:
        return run_transaction(factory, mint)
    except (DatabaseBusy, DatabaseUnavailable, IntegrityError) as exc:
        # IntegrityError: another sender minted the same token at the same moment.
        raise DeliveryError(f"answer link not minted: {type(exc).__name__}") from exc


class MailMessenger:
    """Messenger for e-mail. Raises handlers.ports.DeliveryError on failure."""

    platform = PLATFORM_EMAIL

    def __init__(
        self,
        transport: Transport,
        *,
        sender: str,
        reply_to: str | None = None,
        language: str = DEFAULT_LANGUAGE,
        timezone: str = "Asia/Tokyo",
        answer_links: AnswerLinks | None = None,
    ) -> None:
        self.transport = transport
        self.sender = sender
        self.reply_to = reply_to
        self.language = language  # HOKOKU_LANGUAGE: for addresses that chose none
        self.timezone = timezone
        self.answer_links = answer_links

    @classmethod
    def from_settings(
        cls, settings: Settings, *, factory: sessionmaker[Session] | None = None
    ) -> MailMessenger:
        assert settings.mail_from is not None
        return cls(
            SmtpTransport(SmtpServer.from_settings(settings)),
            sender=settings.mail_from,
            reply_to=settings.mail_reply_to,
            language=settings.language,
            timezone=settings.timezone,
            answer_links=partial(
                answer_link_for, factory, settings, calendar_from_settings(settings)
            ),
        )

    def link(self, target: Target, message: OutboundMessage, *, key: str) -> AnswerLink | None:
        if self.answer_links is None or not isinstance(message, RoundRequest):
            return None
        return self.answer_links(target, message, key=key)

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        mail = compose(
            translator(target.language or self.language),
            message,
            target=target,
            key=key,
            sender=self.sender,
            reply_to=self.reply_to,
            link=self.link(target, message, key=key),
            timezone=self.timezone,
        )
        self.transport.deliver(mail)
