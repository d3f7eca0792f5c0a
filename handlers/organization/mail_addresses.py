"""E-mail addresses of departments (`hokoku dept email`): read, check, link and unlink.

An address is linked as a chat identity on the platform `email` (models.mail says why), so
requests, reminders, chasing, the office's digest and failure notices reach it through the
same outbox as Slack and LINE. Here: reading what the office types (full-width `＠` from a
Japanese IME, `田中 花子 <tanaka@…>` for a person's address), refusing what no mail server
would take with a message that says what is wrong, and linking in one transaction.

The external id is the address with its domain in lower case (and an international domain
in its ASCII form); the local part keeps its case (RFC 5321 lets a server tell them
apart), but two spellings that differ only in case are one address here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.i18n import Message, msg
from handlers.normalize import clean_text
from handlers.organization.identities import link_identity
from models import (
    KIND_ADDRESS,
    PLATFORM_EMAIL,
    ROLE_MEMBER,
    ROLE_OFFICE,
    AuditEntry,
    ChatIdentity,
    Department,
    MailAddress,
    Notification,
    utcnow,
)
from models.outbox import STATUS_FAILED

# What fits ChatIdentity.external_id (RFC 5321 allows 254; no office address comes near).
MAX_ADDRESS = 200
MAX_LOCAL = 64  # RFC 5321 4.5.3.1.1
MAX_LABEL = 63
MAX_NAME = 100
# RFC 5322 dot-atom: atext runs joined by single dots (no quoted local parts: no office
# mail system hands those out, and they are what a typo looks like).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(\.{_ATEXT})*")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_NAMED = re.compile(r"(?P<name>.*?)\s*<(?P<address>[^<>]*)>")
# Full-width forms an IME produces in an address; NFKC would also fold letters that are not
# meant (㈱ → (株)), so only these are mapped.
_FULL_WIDTH = str.maketrans(
    {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
)


@dataclass(frozen=True)
class ParsedAddress:
    """An address as it will be stored, and the person it belongs to ("" for a mailbox)."""

    address: str
    name: str = ""

    @property
    def key(self) -> str:
        """Two spellings of one address (case) compare equal by this."""
        return self.address.lower()


def _problem(text: str, reason: Message) -> InvalidInput:
    return InvalidInput(msg("mail.address.invalid", address=text[:MAX_ADDRESS], reason=reason))


def _domain(text: str, domain: str) -> str:
    """The domain in lower case; an international domain (市役所.jp) in its ASCII form."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _problem(text, msg("mail.address.reason.domain")) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(
        len(label) <= MAX_LABEL and _LABEL.fullmatch(label) for label in labels
    ):
        raise _problem(text, msg("mail.address.reason.domain"))
    return ascii_domain


def parse_address(text: str) -> ParsedAddress:
    """`jinken@city.example.jp`, `田中 花子 <tanaka@city.example.jp>`, full-width as typed.

    Raises InvalidInput saying what is wrong (no @, the part before or after it, length).
    """
    typed = clean_text(text).translate(_FULL_WIDTH).strip()
    name, address = "", typed
    named = _NAMED.fullmatch(typed)
    if named:
        name = " ".join(named["name"].strip().strip('"').split())
        address = named["address"].strip()
    if not address:
        raise _problem(typed, msg("mail.address.reason.empty"))
    if "@" not in address:
        raise _problem(typed, msg("mail.address.reason.no_at"))
    if any(ch.isspace() for ch in address) or address.count("@") > 1:
        raise _problem(typed, msg("mail.address.reason.characters"))
    local, _, domain = address.partition("@")
    if not local or len(local) > MAX_LOCAL or not _LOCAL.fullmatch(local):
        raise _problem(typed, msg("mail.address.reason.local"))
    stored = f"{local}@{_domain(typed, domain)}"
    if len(stored) > MAX_ADDRESS:
        raise _problem(typed, msg("mail.address.reason.too_long", limit=MAX_ADDRESS))
    if len(name) > MAX_NAME or any(ch in name for ch in '<>"\n'):
        raise _problem(typed, msg("mail.address.reason.name", limit=MAX_NAME))
    return ParsedAddress(stored, name)


def parse_addresses(texts: Sequence[str]) -> list[ParsedAddress]:
    """Every address of a command line, each once; the first problem raises (nothing stored)."""
    if not texts:
        raise InvalidInput(msg("mail.address.none"))
    found: dict[str, ParsedAddress] = {}
    for text in texts:
        parsed = parse_address(text)
        found.setdefault(parsed.key, parsed)
    return list(found.values())


@dataclass(frozen=True)
class LinkedAddress:
    """One address of a department as the office sees it."""

    identity_id: int
    address: str
    name: str
    role: str
    language: str | None
    active: bool
    # Its last message that failed for good (refused by the mail server, or still not
    # accepted after the outbox's retries): when it was due, and the server's answer.
    failed_due: datetime | None = None
    failed_error: str | None = None

    @property
    def office(self) -> bool:
        return self.role == ROLE_OFFICE


def _existing(session: Session, *, department: Department, key: str) -> ChatIdentity | None:
    return session.scalar(
        select(ChatIdentity)
        .where(
            ChatIdentity.platform == PLATFORM_EMAIL,
            ChatIdentity.department_id == department.id,
            func.lower(ChatIdentity.external_id) == key,
        )
        .order_by(ChatIdentity.active.desc(), ChatIdentity.id)
        .limit(1)
    )


def add_addresses(
    session: Session,
    *,
    department: Department,
    addresses: Sequence[ParsedAddress],
    office: bool = False,
    language: str | None = None,
    actor: str,
) -> list[LinkedAddress]:
    """Link each address to the department (again, if it was removed); idempotent.

    `office`: the address gets the office's digest and failure notices. `language`: what
    its reader reads (None keeps what it had, else HOKOKU_LANGUAGE). A person's name given
    again replaces the one stored; an address given without a name keeps it.
    """
    linked: list[LinkedAddress] = []
    for parsed in addresses:
        identity = _existing(session, department=department, key=parsed.key)
        external_id = identity.external_id if identity is not None else parsed.address
        identity = link_identity(
            session,
            department=department,
            platform=PLATFORM_EMAIL,
            external_id=external_id,
            kind=KIND_ADDRESS,
            role=ROLE_OFFICE if office else ROLE_MEMBER,
            actor=actor,
        )
        if identity.external_id != parsed.address:  # the same address, spelled anew
            identity.external_id = parsed.address
        if language is not None:
            identity.language = language
        row = session.get(MailAddress, identity.id)
        if row is None:
            row = MailAddress(identity_id=identity.id, name=parsed.name, created_at=utcnow())
            session.add(row)
        elif parsed.name:
            row.name = parsed.name
        session.flush()
        linked.append(
            LinkedAddress(
                identity_id=identity.id,
                address=identity.external_id,
                name=row.name,
                role=identity.role,
                language=identity.language,
                active=identity.active,
            )
        )
    return linked


def remove_addresses(
    session: Session,
    *,
    department: Department,
    addresses: Sequence[ParsedAddress],
    actor: str,
    now: datetime | None = None,
) -> list[tuple[ParsedAddress, bool]]:
    """Unlink each address from the department (the row stays, inactive, for the audit).

    Returns each address with whether it was linked. Messages already waiting for it in
    the outbox are dropped when their turn comes (the target is no longer linked).
    """
    now = now or utcnow()
    outcome: list[tuple[ParsedAddress, bool]] = []
    for parsed in addresses:
        identity = _existing(session, department=department, key=parsed.key)
        was_linked = identity is not None and identity.active
        if identity is not None and identity.active:
            identity.active = False
            identity.unlinked_at = now
            session.add(
                AuditEntry(
                    actor=actor,
                    action="unlink",
                    detail={
                        "platform": PLATFORM_EMAIL,
                        "external_id": identity.external_id,
                        "department": department.name,
                    },
                )
            )
        outcome.append((parsed, was_linked))
    session.flush()
    return outcome


def department_addresses(session: Session, *, department: Department) -> list[LinkedAddress]:
    """The department's linked addresses, each with its last failed message (two queries)."""
    rows = session.execute(
        select(ChatIdentity, MailAddress.name)
        .outerjoin(MailAddress, MailAddress.identity_id == ChatIdentity.id)
        .where(
            ChatIdentity.platform == PLATFORM_EMAIL,
            ChatIdentity.department_id == department.id,
            ChatIdentity.active.is_(True),
        )
        .order_by(func.lower(ChatIdentity.external_id), ChatIdentity.id)  # any collation
    ).all()
    ids = [identity.id for identity, _ in rows]
    failed: dict[int, tuple[datetime, str]] = {}
    if ids:
        for identity_id, due, error in session.execute(
            select(Notification.identity_id, Notification.due_at, Notification.last_error)
            .where(Notification.identity_id.in_(ids), Notification.status == STATUS_FAILED)
            .order_by(Notification.due_at, Notification.id)
        ):
            failed[identity_id] = (due, error or "")
    return [
        LinkedAddress(
            identity_id=identity.id,
            address=identity.external_id,
            name=name or "",
            role=identity.role,
            language=identity.language,
            active=identity.active,
            failed_due=failed[identity.id][0] if identity.id in failed else None,
            failed_error=failed[identity.id][1] if identity.id in failed else None,
        )
        for identity, name in rows
    ]
