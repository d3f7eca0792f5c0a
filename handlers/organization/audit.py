"""Reading the audit log (written by the handlers that link, unlink, proxy or refuse)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def list_audit(
    session: Session, *, since: datetime, action: str | None = None, limit: int = 200
) -> list[AuditView]:
    """Entries since `since`, newest first (optionally of one action)."""
    query = select(AuditEntry).where(AuditEntry.at >= since)
    if action:
        query = query.where(AuditEntry.action == action)
    rows = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    return [AuditView(e.at, e.actor, e.action, dict(e.detail)) for e in rows]
