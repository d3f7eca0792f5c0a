"""The outbound port: what the domain and the scheduler ask a chat platform to deliver.

Each platform (Slack, LINE, console) implements `Messenger`; renderers turn these plain
messages into Block Kit, Flex or text. The scheduler never knows which platform it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from handlers.i18n import Message

# Purposes of outbound messages; together with round, target and due date they form the
# unique key of a notification, so that nothing is ever sent twice.
PURPOSE_REQUEST = "request"
PURPOSE_REMINDER = "reminder"
PURPOSE_OVERDUE = "overdue"
PURPOSE_DIGEST = "digest"
PURPOSE_FAILURE = "failure"


@dataclass(frozen=True)
class Target:
    """Where a message goes: a linked ChatIdentity (user, channel, group …)."""

    platform: str
    external_id: str
    kind: str = "user"
    workspace: str = ""
    language: str | None = None  # the identity's chosen language (None: the messenger's)


@dataclass(frozen=True)
class PendingItem:
    number: int
    display: str
    previous_grade: str | None = None


@dataclass(frozen=True)
class RoundRequest:
    """Ask a department to report (purpose request, reminder or overdue)."""

    purpose: str
    round_id: int
    fiscal_year: int
    plan_title: str
    deadline: date
    department_id: int
    department_name: str
    total_items: int
    pending: tuple[PendingItem, ...]
    grades: tuple[str, ...]


@dataclass(frozen=True)
class DigestLine:
    department_name: str
    pending: tuple[PendingItem, ...]


@dataclass(frozen=True)
class Unreachable:
    """Departments whose every linked target is on `platform`, which is not configured."""

    platform: str
    departments: tuple[str, ...]


@dataclass(frozen=True)
class OfficeDigest:
    """The office's brief: progress and the departments still missing, with their items.

    `unreachable`: missing departments that hokoku cannot ask at all, per platform that
    is not configured in this installation (their messages are held in the outbox).
    """

    round_id: int
    fiscal_year: int
    plan_title: str
    deadline: date
    total: int
    submitted: int
    missing: tuple[DigestLine, ...] = field(default_factory=tuple)  # departments still owing
    unreachable: tuple[Unreachable, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TextMessage:
    """A notice (e.g. a failed delivery), rendered in the target's language."""

    message: Message


OutboundMessage = RoundRequest | OfficeDigest | TextMessage


class DeliveryError(Exception):
    """A send failed. `permanent`: the target is gone (archived, blocked); else retry later."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Messenger(Protocol):
    """One platform's delivery. `key` is the message's unique purpose key (for dedupe).

    `resend` is True when an earlier attempt with this key may already have been delivered
    (its sender crashed or timed out before recording the outcome): a platform without an
    idempotency key of its own (Slack) then checks before posting again.
    """

    platform: str

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None: ...


@runtime_checkable
class AsyncMessenger(Messenger, Protocol):
    """A Messenger that can also send on an event loop: many sends in flight on one thread.

    The outbox uses `send_async` on its own loop when a platform offers it (LINE: hundreds
    of pushes at once without a thread each) and calls `aclose` on that loop when done, to
    release what the sends opened there (connections).
    """

    async def send_async(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None: ...

    async def aclose(self) -> None: ...
