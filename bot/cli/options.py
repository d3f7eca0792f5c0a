"""Parsing what the office types on the command line: dates, today's date, who is typing."""

from __future__ import annotations

import getpass
import re
from datetime import date, timedelta

from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.normalize import fold

RELATIVE = re.compile(r"\+(\d+)([dw]?)")


def parse_date(text: str, *, option: str, today: date | None = None) -> date:
    """`2024-05-31`, `2024/5/31` or full-width `２０２４－０５－３１`; else a clear error.

    With `today`, also `+28d` / `+28` (days) and `+4w` (weeks) from today.
    """
    value = fold(text).strip().replace("/", "-").replace(".", "-")  # NFKC: full-width － is -
    relative = RELATIVE.fullmatch(value.lower()) if today is not None else None
    if relative is not None and today is not None:
        count, unit = int(relative.group(1)), relative.group(2)
        return today + timedelta(weeks=count) if unit == "w" else today + timedelta(days=count)
    try:
        year, month, day = (int(part) for part in value.split("-"))
        return date(year, month, day)
    except ValueError:
        unreadable = "cli.date_unreadable" if today is None else "cli.date_unreadable.relative"
        raise InvalidInput(msg(unreadable, option=option, text=text)) from None


def os_user() -> str:
    """The login name of whoever runs the command (recorded as reporter / actor)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
