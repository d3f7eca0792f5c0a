"""The outbound side of every configured platform, built once from Settings.

The scheduler gets this mapping injected ({"slack": …, "line": …, "console": …}) and
never imports a platform SDK itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.line.messenger import LineMessenger
from bot.settings import Settings
from bot.slack.app import make_client
from bot.slack.messenger import SlackMessenger
from handlers.ports import Messenger, OfficeDigest, OutboundMessage, RoundRequest, Target
from scheduler.calendar import BusinessCalendar, parse_month_day, parse_send_time
from scheduler.ratelimit import rate_limited

PURPOSE_TITLES = {
    "request": "報告のお願い",
    "reminder": "報告のリマインド",
    "overdue": "締切を過ぎています",
}


def render_text(message: OutboundMessage) -> str:
    """Plain text of any outbound message (console, logs, `hokoku remind` preview)."""
    if isinstance(message, RoundRequest):
        title = PURPOSE_TITLES.get(message.purpose, "報告のお願い")
        lines = [
            f"【{title}】{message.round_label} {message.plan_name}",
            f"{message.department_name}: 未回答 {len(message.pending)} / {message.total_items} 件"
            f"（締切 {message.deadline.month}月{message.deadline.day}日）",
            *(f"・{item.number} {item.display}" for item in message.pending),
            f"「番号 達成度 コメント」で答えてください（達成度: {'／'.join(message.grades)}）。",
        ]
        return "\n".join(lines)
    if isinstance(message, OfficeDigest):
        lines = [
            f"【回答状況】{message.round_label} {message.plan_name}"
            f" 回答 {message.submitted} / {message.total}",
        ]
        for line in message.overdue:
            numbers = "、".join(str(item.number) for item in line.pending)
            lines.append(f"・{line.department_name}（{len(line.pending)}件: {numbers}）")
        return "\n".join(lines)
    return message.text


class ConsoleMessenger:
    """Prints messages for identities linked on the `console` platform (demo, local runs)."""

    platform = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, target: Target, message: OutboundMessage, *, key: str) -> None:
        self.stream.write(f"--- {target.external_id} ({key})\n{render_text(message)}\n")
        self.stream.flush()


def _console(settings: Settings) -> Messenger | None:
    return ConsoleMessenger()


def _line(settings: Settings) -> Messenger | None:
    if settings.line_channel_access_token is None:
        return None
    return LineMessenger.from_settings(settings)


def _slack(settings: Settings) -> Messenger | None:
    if settings.slack_bot_token is None:
        return None
    return SlackMessenger(make_client(settings))


# platform → builder returning None when the platform is not configured.
BUILDERS: dict[str, Callable[[Settings], Messenger | None]] = {
    "console": _console,
    "line": _line,
    "slack": _slack,
}


def build_messengers(settings: Settings, *, paced: bool = True) -> dict[str, Messenger]:
    """Every configured platform's messenger, paced to its rate limit (scheduler.ratelimit).

    `paced=False` only for simulations that replay weeks in milliseconds of real time.
    """
    messengers: dict[str, Messenger] = {}
    for platform, builder in BUILDERS.items():
        messenger = builder(settings)
        if messenger is not None:
            messengers[platform] = messenger
    return rate_limited(messengers) if paced else messengers


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
