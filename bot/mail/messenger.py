"""The e-mail implementation of the outbound port (handlers.ports.Messenger).

The outbox hands it a request, reminder, chase, digest or notice for one linked address;
it renders the e-mail in the reader's language (the address's `language`, else
HOKOKU_LANGUAGE), adds the department's personal answer link to requests when one can be
minted (`answer_link_for`), and hands it to the mail server (bot.mail.smtp).

Nothing sent twice: the outbox claims a row once and marks it sent after the server said
250. A sender that dies between those two moments leaves the row claimed; after the lease
it is sent again with the same purpose key, hence the same Message-ID (bot.mail.compose),
which mail systems that de-duplicate by Message-ID deliver once. Residual window: a
recipient whose mail system keeps both copies sees that one message twice; SMTP offers no
way to ask a server whether it already holds a message, so no sender can close it.
"""

from __future__ import annotations

from email.message import EmailMessage
from functools import partial
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.mail.compose import compose
from bot.mail.smtp import SmtpServer, SmtpTransport
from bot.settings import Settings
from handlers.i18n import DEFAULT_LANGUAGE, translator
from handlers.ports import OutboundMessage, RoundRequest, Target
from handlers.renderers import AnswerLink
from models import PLATFORM_EMAIL


class AnswerLinks(Protocol):
    """Mints the personal answer link an e-mailed request carries (None: no link)."""

    def __call__(self, target: Target, request: RoundRequest, *, key: str) -> AnswerLink | None: ...


class Transport(Protocol):
    """Hands one e-mail to the mail server (bot.mail.smtp.SmtpTransport)."""

    def deliver(self, mail: EmailMessage) -> None: ...


def answer_link_for(
    factory: sessionmaker[Session] | None,
    settings: Settings,
    target: Target,
    request: RoundRequest,
    *,
    key: str,
) -> AnswerLink | None:
    """The personal link to `request.department_id`'s answer page for the reader `target`.

    THE ONE PLACE WHERE THE LINK IS MINTED. Until the web console's answer links exist it
    returns None, and the e-mail says how to answer without one (reply to the office).

    To wire it (issue 19's `handlers.organization.web_access.create_link`): in one
    transaction of `factory`, mint a link that is not single-use, for the department
    `request.department_id`, role member, person `target.external_id`, round
    `request.round_id`, language `target.language`, valid until the round's last chase
    (`scheduler.schedule.default_horizon` of the round's deadline and schedule), and return
    `AnswerLink(settings.public_url + link.path, valid_until=…)`. Return None when
    `settings.public_url` or `factory` is None. A resend of the same `key` (after a crash)
    may mint a second link; making the token a function of `key` (HMAC with the server's
    secret) would give the same URL instead. The web page itself refuses the link after
    the round closes or once revoked.
    """
    return None


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
            answer_links=partial(answer_link_for, factory, settings),
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
