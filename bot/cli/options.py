"""Parsing what the office types on the command line: dates, today's date, who is typing."""

from __future__ import annotations

import getpass
from datetime import date

from handlers.errors import InvalidInput
from handlers.normalize import fold


def parse_date(text: str, *, option: str) -> date:
    """`2024-05-31`, `2024/5/31` or full-width `２０２４－０５－３１`; else a clear error."""
    value = fold(text).replace("/", "-").replace("－", "-").replace(".", "-")
    try:
        year, month, day = (int(part) for part in value.split("-"))
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"{option} の日付「{text}」を読み取れません。2024-05-31 の形で指定してください。"
        ) from None


def os_user() -> str:
    """The login name of whoever runs the command (recorded as reporter / actor)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
