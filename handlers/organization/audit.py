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
    session: Session,
    *,
    since: datetime,
    action: str | None = None,
    limit: int = 200,
    actor: str | None = None,
) -> list[AuditView]:
    """Entries since `since`, newest first (optionally of one action, or by actors whose
    name contains `actor`)."""
    query = select(AuditEntry).where(AuditEntry.at >= since)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor.contains(actor, autoescape=True))
    rows = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    return [AuditView(e.at, e.actor, e.action, dict(e.detail)) for e in rows]


def audit_actions(session: Session) -> list[str]:
    """Every action the log holds (what a filter offers)."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
