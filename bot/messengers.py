"""The outbound side of every configured platform, built once from Settings.

The scheduler gets this mapping injected ({"slack": …, "line": …, "console": …}) and
never imports a platform SDK itself.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.console import ConsoleMessenger
from bot.line.messenger import LineMessenger
from bot.platforms import configured_platforms
from bot.settings import Settings
from bot.slack.app import make_client
from bot.slack.messenger import SlackMessenger
from handlers.ports import Messenger
from scheduler.calendar import BusinessCalendar, parse_month_day, parse_send_time
from scheduler.ratelimit import RateLimit, rate_limited, within

# platform → builder of its messenger (called only when it is configured).
BUILDERS: dict[str, Callable[[Settings], Messenger]] = {
    "console": lambda settings: ConsoleMessenger(),
    "line": LineMessenger.from_settings,
    "slack": lambda settings: SlackMessenger(make_client(settings)),
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
    """The business calendar of HOKOKU_TIMEZONE / HOKOKU_SEND_TIME / HOKOKU_YEAR_END.

    Raises ValueError naming the setting when a value cannot be read.
    """
    try:
        send_time = parse_send_time(settings.send_time)
    except ValueError as exc:
        raise ValueError(
            f"HOKOKU_SEND_TIME「{settings.send_time}」は HH:MM で指定してください。"
        ) from exc
    year_end = None
    if settings.year_end.strip():
        start, sep, end = settings.year_end.partition("-")
        try:
            if not sep:
                raise ValueError(settings.year_end)
            year_end = (parse_month_day(start), parse_month_day(end))
        except ValueError as exc:
            raise ValueError(
                f"HOKOKU_YEAR_END「{settings.year_end}」は 12/29-1/3 の形で指定してください（空なら休業なし）。"
            ) from exc
    return BusinessCalendar(timezone=settings.timezone, send_time=send_time, year_end=year_end)
