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
from bot.slack import blocks, intake
from handlers.i18n import translator
from handlers.interaction.model import ShowHome
from handlers.reports import REVISED, STORED, SubmitOutcome
from models.db import DatabaseBusy, DatabaseUnavailable

logger = logging.getLogger("hokoku.slack")


def home_view(runtime: Runtime, user_id: str) -> dict[str, Any]:
    reply = intake.show(runtime, intake.actor(runtime, user_id=user_id), ShowHome())
    return blocks.home_view(translator(reply.language), reply)


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
