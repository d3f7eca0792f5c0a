"""Parsing what the office types on the command line: dates, today's date, who is typing."""

from __future__ import annotations

import getpass
import re
from datetime import date, timedelta

from handlers.errors import InvalidInput
from handlers.normalize import fold

RELATIVE = re.compile(r"\+(\d+)([dw]?)")


def parse_date(text: str, *, option: str, today: date | None = None) -> date:
    """`2024-05-31`, `2024/5/31` or full-width `２０２４－０５－３１`; else a clear error.

    With `today`, also `+28d` / `+28` (days) and `+4w` (weeks) from today.
    """
    value = fold(text).strip().replace("/", "-").replace("－", "-").replace(".", "-")
    relative = RELATIVE.fullmatch(value.lower()) if today is not None else None
    if relative is not None and today is not None:
        count, unit = int(relative.group(1)), relative.group(2)
        return today + timedelta(weeks=count) if unit == "w" else today + timedelta(days=count)
    try:
        year, month, day = (int(part) for part in value.split("-"))
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"{option} の日付「{text}」を読み取れません。2024-05-31 の形で指定してください"
            + ("（今日からなら +28d・+4w）。" if today is not None else "。")
        ) from None


def os_user() -> str:
    """The login name of whoever runs the command (recorded as reporter / actor)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
