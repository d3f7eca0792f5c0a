"""Which platforms this installation can send on, and a warning for those it cannot.

Kept apart from bot.messengers (which imports every platform SDK) so the server can run
the start-up check cheaply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from bot.runtime import Runtime
from bot.settings import Settings
from handlers.i18n import translator
from handlers.renderers import unconfigured_notice
from models.db import DatabaseBusy, DatabaseUnavailable, transaction
from scheduler.unconfigured import Unconfigured, unconfigured_links

logger = logging.getLogger(__name__)

# platform → whether its outbound settings are present (console: always).
CONFIGURED: dict[str, Callable[[Settings], bool]] = {
    "console": lambda settings: True,
    "line": lambda settings: settings.line_channel_access_token is not None,
    "slack": lambda settings: settings.slack_bot_token is not None,
}


def configured_platforms(settings: Settings) -> frozenset[str]:
    """The platforms this installation can send on."""
    return frozenset(platform for platform, present in CONFIGURED.items() if present(settings))


def report_unconfigured(
    runtime: Runtime, *, configured: Collection[str] | None = None
) -> tuple[Unconfigured, ...]:
    """Log one warning per platform that is not configured but has linked targets.

    Run when `hokoku serve` and `hokoku scheduler` start: those targets get nothing until
    the platform's settings are present (their messages are held in the outbox).
    """
    platforms = configured_platforms(runtime.settings) if configured is None else configured
    try:
        with transaction(runtime.factory) as session:
            found = unconfigured_links(
                session, configured=platforms, organization_id=runtime.organization_id
            )
    except (DatabaseBusy, DatabaseUnavailable) as exc:  # /healthz says so; keep starting
        logger.warning("could not check the linked platforms: %s", exc)
        return ()
    for entry in found:
        logger.warning(
            "%s",
            unconfigured_notice(
                translator(runtime.settings.language),
                entry.platform,
                count=entry.count,
                departments=entry.departments,
                linked=True,
            ),
        )
    return found
