"""The App Home tab: a member's pending and answered items, the office's progress."""

from __future__ import annotations

from typing import Any

from bot.runtime import Runtime
from bot.slack import blocks
from bot.slack.context import (
    NO_OPEN_ROUND,
    NOT_LINKED_SLACK,
    caller_memberships,
    is_office,
    open_round,
)
from handlers.fiscal import reiwa_label
from handlers.reports import department_slots
from handlers.status import summarize
from models.db import transaction


def home_view(runtime: Runtime, user_id: str) -> dict[str, Any]:
    with transaction(runtime.factory) as session:
        members = caller_memberships(session, user_id)
        if not members:
            return blocks.home_unlinked(NOT_LINKED_SLACK)
        rnd = open_round(session, runtime)
        if rnd is None:
            return blocks.home_unlinked(NO_OPEN_ROUND)
        title = f"{reiwa_label(rnd.fiscal_year)} {rnd.plan.name}"
        if is_office(members):
            summary = summarize(session, round_id=rnd.id, today=runtime.today())
            return blocks.home_office(title=title, summary=summary)
        sections = [
            (m, department_slots(session, round_id=rnd.id, department_id=m.department_id))
            for m in members
        ]
        return blocks.home_member(title=title, sections=sections, round_id=rnd.id)
