"""The outbound side of every configured platform, built once from Settings.

The scheduler gets this mapping injected ({"slack": …, "line": …, "console": …}) and
never imports a platform SDK itself.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.console import ConsoleMessenger
from bot.platforms import configured_platforms
from bot.settings import Settings
from handlers.errors import InvalidValue
from handlers.i18n import msg
from handlers.ports import Messenger
from scheduler.calendar import (
    BusinessCalendar,
    parse_closed_days,
    parse_month_day,
    parse_send_time,
)
from scheduler.ratelimit import RateLimit, rate_limited, within


def _console(settings: Settings) -> Messenger:
    return ConsoleMessenger(language=settings.language)


# The platform SDKs are imported only when their platform is configured: importing
# linebot.v3 alone takes seconds, and most commands never need it.


def _line(settings: Settings) -> Messenger:
    from bot.line.messenger import LineMessenger

    return LineMessenger.from_settings(settings)


def _slack(settings: Settings) -> Messenger:
    from bot.slack.app import make_client
    from bot.slack.messenger import SlackMessenger

    return SlackMessenger(make_client(settings), language=settings.language)


# platform → builder of its messenger (called only when it is configured).
BUILDERS: dict[str, Callable[[Settings], Messenger]] = {
    "console": _console,
    "line": _line,
    "slack": _slack,
}


def platform_limits(settings: Settings) -> dict[str, RateLimit]:
    """Each platform's pacing from HOKOKU_SLACK_* / HOKOKU_LINE_RATE (scheduler.ratelimit)."""
    return {
        "slack": RateLimit(
            per_target_interval=settings.slack_channel_interval,
            per_second=settings.slack_workspace_rate,
            burst=settings.slack_workspace_burst,
        ),
        "line": within(settings.line_rate) if settings.line_rate else RateLimit(),
    }


# HOKOKU_YEAR_END values that switch the year-end closure off (an empty value means unset).
NO_YEAR_END = {"none", "なし", "off"}


def build_messengers(settings: Settings, *, paced: bool = True) -> dict[str, Messenger]:
    """Every configured platform's messenger, paced to its rate limit (scheduler.ratelimit).

    `paced=False` only for simulations that replay weeks in milliseconds of real time.
    """
    messengers = {
        platform: BUILDERS[platform](settings)
        for platform in sorted(configured_platforms(settings))
    }
    return rate_limited(messengers, platform_limits(settings)) if paced else messengers


def calendar_from_settings(settings: Settings) -> BusinessCalendar:
    """The business calendar of HOKOKU_TIMEZONE / HOKOKU_SEND_TIME / HOKOKU_YEAR_END /
    HOKOKU_CLOSED_DAYS.

    Raises InvalidValue (a ValueError) naming the setting when a value cannot be read.
    """
    try:
        send_time = parse_send_time(settings.send_time)
    except ValueError as exc:
        raise InvalidValue(msg("settings.send_time", value=settings.send_time)) from exc
    year_end = None
    if settings.year_end.strip().lower() not in NO_YEAR_END:
        start, sep, end = settings.year_end.partition("-")
        try:
            if not sep:
                raise ValueError(settings.year_end)
            year_end = (parse_month_day(start), parse_month_day(end))
        except ValueError as exc:
            raise InvalidValue(msg("settings.year_end", value=settings.year_end)) from exc
    try:
        closed_days = parse_closed_days(settings.closed_days)
    except ValueError as exc:
        raise InvalidValue(msg("settings.closed_days", value=str(exc))) from None
    return BusinessCalendar(
        timezone=settings.timezone,
        send_time=send_time,
        year_end=year_end,
        closed_days=closed_days,
    )
