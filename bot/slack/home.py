"""The App Home tab: a member's pending and answered items, the office's progress.

Published when the tab is opened and again after the person answers, so the lists are
current without reopening it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

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
from handlers.reports import REVISED, STORED, SubmitOutcome, department_slots
from handlers.status import summarize
from models.db import DatabaseBusy, DatabaseUnavailable, transaction

logger = logging.getLogger("hokoku.slack")


def home_view(runtime: Runtime, user_id: str) -> dict[str, Any]:
    with transaction(runtime.reader) as session:
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


def answers_changed(outcomes: Iterable[SubmitOutcome]) -> bool:
    """Whether an answer was written (stored or revised), i.e. the Home lists moved."""
    return any(o.status in (STORED, REVISED) for o in outcomes)


def refresh_home(runtime: Runtime, client: WebClient, user_id: str) -> None:
    """Republish the user's Home tab after their answer was stored (and acked).

    The answer is already committed: a Home tab that cannot be published (not enabled,
    user gone) is logged and changes nothing else.
    """
    try:
        client.views_publish(user_id=user_id, view=home_view(runtime, user_id))
    except SlackApiError as exc:
        logger.warning(
            "App Home not refreshed for %s after an answer: %s",
            user_id,
            exc.response.get("error"),
        )
    except (DatabaseBusy, DatabaseUnavailable) as exc:
        logger.warning("App Home not refreshed for %s, database not available: %s", user_id, exc)
