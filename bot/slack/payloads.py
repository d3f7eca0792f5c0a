"""Reading Slack payloads defensively: a signed request can still carry fields of the wrong
type (or none), and that must become a 400, never a traceback and a 500.

Listeners read every field through `text`/`mapping`/`optional_text`, which raise
MalformedPayload; the app's error handler answers it with 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.normalize import clean_text

MAX_FIELD = 50_000  # longer than any id or message Slack sends (a message is ≤ 40,000)


class MalformedPayload(Exception):
    """A field Slack always sends is missing or of the wrong type."""


def _walk(data: Any, path: tuple[str, ...]) -> Any:
    """The value at `path`; None when a step is absent or null (`selected_option: null`)."""
    for key in path:
        if data is None:
            return None
        # Parsed JSON is a dict: the exact type is checked first, the ABC's isinstance only
        # for anything else (a form page reads some 30 fields, each a few steps deep).
        if type(data) is not dict and not isinstance(data, Mapping):
            raise MalformedPayload(f"{'.'.join(path)}: not an object")
        data = data.get(key)
    return data


def optional_text(data: Any, *path: str, default: str = "") -> str:
    """A string field (control characters removed), or `default` when it is absent/null."""
    value = _walk(data, path)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise MalformedPayload(f"{'.'.join(path)}: not a string")
    return clean_text(value)


def text(data: Any, *path: str) -> str:
    """A string field that must be present and non-empty."""
    value = optional_text(data, *path)
    if not value:
        raise MalformedPayload(f"{'.'.join(path)}: missing")
    return value


def mapping(data: Any, *path: str) -> Mapping[str, Any]:
    """An object field (absent or null → empty)."""
    value = _walk(data, path)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedPayload(f"{'.'.join(path)}: not an object")
    return value


def first_action(body: Any) -> Mapping[str, Any]:
    """The action of a block_actions payload (Slack sends exactly one per click)."""
    actions = _walk(body, ("actions",))
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        raise MalformedPayload("actions: missing")
    return actions[0]


def integer(value: Any, *, what: str) -> int:
    """An id we put into a button value or metadata ourselves, read back."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedPayload(f"{what}: not a number")
    try:
        number = int(value)
    except ValueError:
        raise MalformedPayload(f"{what}: not a number") from None
    if not 0 <= number < 2**31:
        raise MalformedPayload(f"{what}: out of range")
    return number
