"""The App Home tab: a member's pending and answered items, the office's progress.

Published when the tab is opened and, once a person has opened it, again after each of
their answers and of each answer they take back, so the lists are current when they come
back to it. A Home tab never opened is not rebuilt after answers: opening it publishes it
afresh (`app_home_opened` comes every time the tab is opened), and the rebuild cost as
much CPU as the answer.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import intake
from bot.runtime import Runtime
from bot.slack import blocks
from bot.slack.actors import actor
from bot.slack.ids import PLATFORM
from handlers.i18n import translator
from handlers.interaction.intents import ShowHome
from handlers.organization.identities import note_home_opened
from models.db import transaction

logger = logging.getLogger(__name__)


def home_view(runtime: Runtime, user_id: str, *, opened: bool = False) -> dict[str, Any]:
    """The user's Home tab; `opened`: they opened it (the first time is remembered, and
    from then on answers republish it)."""
    reply = intake.show(runtime, actor(runtime, user_id=user_id), ShowHome())
    if opened and not reply.home_opened:
        _note_opened(runtime, user_id)
    return blocks.home_view(translator(reply.language), reply)


def _note_opened(runtime: Runtime, user_id: str) -> None:
    try:
        with transaction(runtime.factory) as session:
            note_home_opened(session, platform=PLATFORM, external_id=user_id)
    except intake.UNAVAILABLE as exc:  # asked again the next time the tab is opened
        logger.info("Home tab opening of %s not remembered now: %s", user_id, exc)


class _Coalesced:
    """One Home refresh per user at a time: a refresh asked for while one runs makes that
    one run once more when it ends (after the newest answer was committed), instead of
    queueing its own. Under a burst of answers the Home tab costs one render per user, not
    one per answer, and the work after the acks never falls behind the acks rebuilding the same view."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._again: dict[tuple[int, str], bool] = {}  # running → asked for again meanwhile

    def enter(self, key: tuple[int, str]) -> bool:
        with self._lock:
            if key in self._again:
                self._again[key] = True
                return False
            self._again[key] = False
            return True

    def once_more(self, key: tuple[int, str]) -> bool:
        with self._lock:
            if self._again.get(key):
                self._again[key] = False
                return True
            self._again.pop(key, None)
            return False

    def leave(self, key: tuple[int, str]) -> None:
        with self._lock:
            self._again.pop(key, None)


_refreshing = _Coalesced()


def refresh_home(runtime: Runtime, client: WebClient, user_id: str) -> None:
    """Republish the user's Home tab after their answer was stored (and acked); coalesced
    per user (see _Coalesced).

    The answer is already committed: a Home tab that cannot be published (not enabled,
    user gone) is logged and changes nothing else.
    """
    key = (id(runtime), user_id)
    if not _refreshing.enter(key):
        return
    try:
        _publish_home(runtime, client, user_id)
        while _refreshing.once_more(key):
            _publish_home(runtime, client, user_id)
    except BaseException:
        _refreshing.leave(key)
        raise


def _publish_home(runtime: Runtime, client: WebClient, user_id: str) -> None:
    try:
        client.views_publish(user_id=user_id, view=home_view(runtime, user_id))
    except SlackApiError as exc:
        logger.warning(
            "App Home not refreshed for %s after an answer: %s",
            user_id,
            exc.response.get("error"),
        )
    except intake.UNAVAILABLE as exc:
        logger.warning("App Home not refreshed for %s, database not available: %s", user_id, exc)
