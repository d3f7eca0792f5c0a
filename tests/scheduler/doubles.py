"""A recording Messenger (the outbound port's test double) and helpers to set up a round."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.organization.directory import find_department, get_or_create_organization
from handlers.organization.identities import link_identity
from handlers.ports import DeliveryError, OutboundMessage, Target
from models import ROLE_OFFICE, ChatIdentity

JST = ZoneInfo("Asia/Tokyo")


def jst(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=JST).astimezone(UTC)


@dataclass
class ManualClock:
    """A clock that only moves when told to: a whole round runs in milliseconds."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment


@dataclass(frozen=True)
class Sent:
    target: Target
    message: OutboundMessage
    key: str


@dataclass
class RecordingMessenger:
    """Records every send; `fail` maps an external id to the DeliveryError to raise."""

    platform: str
    sent: list[Sent] = field(default_factory=list)
    fail: dict[str, DeliveryError] = field(default_factory=dict)
    attempts: list[str] = field(default_factory=list)
    resends: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        with self._lock:
            self.attempts.append(key)
            if resend:
                self.resends.append(key)
            error = self.fail.get(target.external_id)
            if error is not None:
                raise error
            self.sent.append(Sent(target, message, key))

    def keys(self) -> list[str]:
        return [s.key for s in self.sent]

    def to(self, external_id: str) -> list[Sent]:
        return [s for s in self.sent if s.target.external_id == external_id]


def link(
    session: Session,
    department: str,
    *,
    platform: str,
    external_id: str,
    kind: str = "user",
    office: bool = False,
    organization: str = "default",
) -> ChatIdentity:

    org = get_or_create_organization(session, name=organization)
    dept = find_department(session, organization_id=org.id, name=department)
    return link_identity(
        session,
        department=dept,
        platform=platform,
        external_id=external_id,
        kind=kind,
        role=ROLE_OFFICE if office else "member",
    )
