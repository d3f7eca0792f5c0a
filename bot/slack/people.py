"""Who a Slack user id is: users.info, asked once after the ack and cached in the database.

The office's history shows names, and a mention (`<@U0123>`) in an answer is stored as the
person's name, both read from the cache (handlers.organization.people). Without the
`users:read` scope Slack answers `missing_scope`: that is remembered, the history shows the
department and the channel instead, and the app keeps working.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.slack.ids import PLATFORM
from handlers.organization.people import known_names, needs_lookup, remember_name
from models import utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, transaction

logger = logging.getLogger(__name__)
MAX_LOOKUPS = 5  # per message: a message mentioning twenty people costs five calls
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,30}$")


# Per process: users whose cached name was found fresh (or just fetched), until when not
# to look again. Several processes each keep their own; the worst is one more lookup.
CHECKED_FOR = timedelta(minutes=10)
CHECKED = "slack_name_checked"


def names_of(runtime: Runtime, user_ids: Iterable[str]) -> dict[str, str]:
    """The cached names of these users (read only; never waits for the writer)."""
    ids = set(user_ids)
    if not ids:
        return {}
    with transaction(runtime.reader) as session:
        return known_names(session, platform=PLATFORM, ids=ids)


def shown_name(user: dict[str, Any]) -> str:
    """The name Slack shows for a user: the display name, else the full name."""
    found = user.get("profile")
    profile: dict[str, Any] = found if isinstance(found, dict) else {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def names_to_learn(runtime: Runtime, user_ids: Iterable[str]) -> tuple[str, ...]:
    """The users whose cached name this process has not found fresh lately (the rest are
    not looked at again for CHECKED_FOR)."""
    now = utcnow()
    checked: dict[str, datetime] = runtime.memo_of(CHECKED)
    return tuple(
        u for u in sorted(set(user_ids)) if _USER_ID.match(u) and checked.get(u, now) <= now
    )


def learn_names(runtime: Runtime, client: WebClient, user_ids: Iterable[str]) -> None:
    """Look up the users whose name is not cached (after the ack: never delays an answer).
    Whom this process found known is not asked about again for CHECKED_FOR (a reply
    after every answer would read the cache each time)."""
    now = utcnow()
    checked: dict[str, datetime] = runtime.memo_of(CHECKED)
    candidates = names_to_learn(runtime, user_ids)
    if not candidates:
        return
    try:
        with transaction(runtime.reader) as session:
            wanted = []
            for u in candidates:
                if needs_lookup(session, platform=PLATFORM, external_id=u, now=now):
                    wanted.append(u)
                else:
                    checked[u] = now + CHECKED_FOR
            wanted = wanted[:MAX_LOOKUPS]
        for user_id in wanted:
            try:
                user = client.users_info(user=user_id).get("user") or {}
                name = shown_name(user) if isinstance(user, dict) else ""
            except SlackApiError as exc:
                logger.info("users.info %s: %s", user_id, exc.response.get("error"))
                name = ""  # missing_scope, user_not_found: remembered, asked again later
            with transaction(runtime.factory) as session:
                remember_name(session, platform=PLATFORM, external_id=user_id, name=name, now=now)
            checked[user_id] = now + CHECKED_FOR
    except (DatabaseBusy, DatabaseUnavailable) as exc:
        logger.info("names not cached now (database busy): %s", exc)
