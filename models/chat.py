"""Who is who in chat, one-time invite codes, inbound dedupe, conversation state, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.plan import Department

ROLE_MEMBER = "member"
ROLE_OFFICE = "office"


class ChatIdentity(Base):
    """A chat user, channel or group linked to a department with a role.

    kind: "user", "channel" (Slack), "group"/"room" (LINE). One external id may be linked
    to several departments (one row each); the person is then asked which one they answer for.
    """

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("platform", "workspace", "external_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(20), default="user")
    external_id: Mapped[str] = mapped_column(String(200), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=ROLE_MEMBER)
    active: Mapped[bool] = mapped_column(default=True)
    # The language this identity reads (`language en`); NULL: the platform's or HOKOKU_LANGUAGE.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    unlinked_at: Mapped[datetime | None] = mapped_column(default=None)
    # When this identity first opened its Home tab (Slack's App Home); NULL: never. Only
    # then is the Home republished after an answer (opening it publishes it afresh anyway).
    home_opened_at: Mapped[datetime | None] = mapped_column(default=None)

    department: Mapped[Department] = relationship()


class InviteCode(Base):
    """A one-time code that links whoever types it to a department (expires, single use)."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=ROLE_MEMBER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("chat_identities.id"), default=None)


class InviteFailure(Base):
    """A wrong, used or expired invite code typed by one sender (counted to stop guessing).

    Kept in the database, not in memory, so the limit holds across server processes.
    """

    __tablename__ = "invite_failures"
    __table_args__ = (Index("ix_invite_failures_sender", "platform", "sender", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ProcessedEvent(Base):
    """Inbound event ids already handled (Slack event_id, LINE webhookEventId …)."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    event_key: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ConversationState(Base):
    """What the bot remembers of one user in one chat, one row per kind (a comment awaited
    after a grade, the department chosen, a form's draft)."""

    __tablename__ = "conversation_states"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ChatPerson(Base):
    """A chat user's display name as the platform gave it (Slack users.info, LINE's
    profile), cached so the office reads names, not ids. `name` "" : the platform would
    not say (a missing scope, no consent); looked up again after a while (`fetched_at`)."""

    __tablename__ = "chat_people"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what, for the office and for IT (links, unlinks, proxy answers …)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
