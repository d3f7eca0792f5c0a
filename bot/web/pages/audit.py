"""The audit log with filters: action, who, how many days back."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response

from bot.web.console import Web
from handlers.organization.audit import audit_actions, list_audit
from models.db import transaction

DAYS = (1, 7, 30, 90, 365)
LIMIT = 300


def page(web: Web) -> Response:
    days_text = web.query("days", "30")
    days = int(days_text) if days_text.isdigit() and int(days_text) in DAYS else 30
    action = web.query("action")[:100]
    actor = web.query("actor").strip()[:100]
    with transaction(web.runtime.reader) as session:
        actions = audit_actions(session)
        entries = list_audit(
            session,
            since=web.now - timedelta(days=days),
            action=action if action in actions else None,
            actor=actor or None,
            limit=LIMIT + 1,
        )
    return web.render(
        "audit.html",
        entries=entries[:LIMIT],
        more=len(entries) > LIMIT,
        actions=actions,
        action=action,
        actor=actor,
        days=days,
        choices=DAYS,
        limit=LIMIT,
    )
