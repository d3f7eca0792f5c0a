"""The outbox: every outbound message is a row with a unique purpose key, sent at most once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.chat import ChatIdentity

STATUS_PENDING = "pending"
STATUS_CLAIMED = "claimed"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"  # permanently; reported to the office once
STATUS_SKIPPED = "skipped"  # no longer needed when its turn came (e.g. all answered)
# Held: the target's platform is not configured here. Claimed like `pending` by a scheduler
# that has the platform (sent once it is configured); superseded like `pending`.
STATUS_UNCONFIGURED = "unconfigured"


class Notification(Base):
    """One message to one target for one purpose (request, reminder, overdue, digest …)."""

    __tablename__ = "notifications"
    # What a claim reads: one index range per platform, no join (scheduler.outbox.claim).
    __table_args__ = (Index("ix_notifications_claim", "platform", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    identity_id: Mapped[int] = mapped_column(ForeignKey("chat_identities.id"), index=True)
    # The identity's platform (which never changes), kept here so that claiming and holding
    # filter one table: a join to chat_identities let PostgreSQL pick a nested loop of
    # 10,000 × 10,000 rows on fresh statistics (5 s per claim).
    platform: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    purpose: Mapped[str] = mapped_column(String(50))
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identity: Mapped[ChatIdentity] = relationship()
