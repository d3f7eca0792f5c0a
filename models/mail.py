"""E-mail addresses of departments: what a chat identity cannot say about an address.

An address is linked like a chat user (a `ChatIdentity` on the platform `email`, kind
`address`, the address as its external id), so the outbox, the office's digest, failure
notices, languages, 機構改革 and unlinking treat it exactly as they treat a Slack channel
or a LINE group. This table adds what only an e-mail address has: whose it is. A
department's shared mailbox (`jinken@city.example.jp`) has no name; a person's address
(`田中 花子 <tanaka@city.example.jp>`) carries the person's name, shown to the office
(`hokoku dept email NAME`) so it can tell a person's address from the department's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

PLATFORM_EMAIL = "email"
KIND_ADDRESS = "address"


class MailAddress(Base):
    """The e-mail side of one linked address (one row per ChatIdentity on `email`)."""

    __tablename__ = "mail_addresses"

    identity_id: Mapped[int] = mapped_column(
        ForeignKey("chat_identities.id", ondelete="CASCADE"), primary_key=True
    )
    # The person the address belongs to ("" for a department's shared mailbox).
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
