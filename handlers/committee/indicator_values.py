"""Indicator values as people type them: numbers checked against the indicator's unit.

Pure functions (no database): `parse_value` for a typed value, `check_value` for the range
a unit allows, and `parse_indicator_argument` for the chat form `指標 16 62.3`: the chat's
command table (handlers.interaction.commands) finds the word, `指標` or `indicator`, and
hands over what follows it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from handlers.errors import InvalidInput
from handlers.i18n import Message, msg
from handlers.normalize import fold

PERCENT_UNITS = {"%", "パーセント", "PERCENT"}
# Counts and amounts: never negative.
COUNT_UNITS = {
    "人",
    "名",
    "人数",
    "件",
    "回",
    "箇所",
    "か所",
    "カ所",
    "ヶ所",
    "団体",
    "社",
    "事業所",
    "校",
    "講座",
    "部",
    "冊",
    "日",
    "時間",
    "円",
    "千円",
    "世帯",
    "組",
    "施設",
    "店舗",
    "人日",
}
_NUMBER = re.compile(r"^([+-]?(?:\d[\d,]*)?\.?\d+)\s*(.*)$")


def normal_unit(unit: str) -> str:
    """`％` → `%`, `ｶ所` → `カ所`, `percent` → `PERCENT`: the unit as compared."""
    folded = fold(unit)
    return folded.upper() if folded.isascii() else folded


def parse_value(text: str, *, unit: str = "") -> float:
    """`62.3`, `６２．３％`, `1,234人` → the number; a unit after it must be the indicator's."""
    folded = fold(text)
    match = _NUMBER.match(folded)
    if match is None:
        raise InvalidInput(msg("indicator.value_not_number", text=text, unit=normal_unit(unit)))
    number, suffix = match.group(1).replace(",", ""), match.group(2).strip()
    if suffix and normal_unit(suffix) != normal_unit(unit):
        expected = msg("indicator.unit_is", unit=unit) if unit else msg("indicator.unit_none")
        raise InvalidInput(msg("indicator.unit_wrong", text=text, suffix=suffix, expected=expected))
    value = float(number)
    if not math.isfinite(value):
        raise InvalidInput(msg("indicator.value_not_number", text=text, unit=""))
    return value


def check_value(value: float, *, unit: str, what: Message | None = None) -> None:
    """A percentage is 0–100, a count or amount is not negative; other units any number.
    `what`: the value's name in the message (`indicator.value_of`), else "the value"."""
    unit = normal_unit(unit)
    name = what or msg("indicator.value")
    if unit in PERCENT_UNITS and not 0 <= value <= 100:
        raise InvalidInput(msg("indicator.percent_range", what=name, value=f"{value:g}"))
    if unit in COUNT_UNITS and value < 0:
        raise InvalidInput(msg("indicator.not_negative", what=name, value=f"{value:g}", unit=unit))


def format_value(value: float | None, unit: str) -> str:
    """`62.3%`, `1,200人`; `—` for no value."""
    if value is None:
        return "—"
    text = f"{value:,.10g}" if abs(value) >= 1000 else f"{value:.10g}"
    return f"{text}{unit}"


@dataclass(frozen=True)
class IndicatorCommand:
    """`指標` (list), `指標 16` (show one), `指標 16 62.3` (report a value)."""

    number: str | None = None
    value_text: str | None = None
    value: float | None = None

    @property
    def kind(self) -> str:
        if self.number is None:
            return "list"
        return "show" if self.value_text is None else "report"


def parse_indicator_argument(text: str) -> IndicatorCommand:
    """What follows the command word (`指標` / `indicator`): nothing, `16`, or `16 62.3`."""
    parts = fold(text).split()
    if not parts:
        return IndicatorCommand()
    if len(parts) > 2:
        raise InvalidInput(msg("indicator.command_form"))
    number = parts[0].lstrip("#").removeprefix("No.")
    if not number:
        raise InvalidInput(msg("indicator.number_missing"))
    if len(parts) == 1:
        return IndicatorCommand(number=number)
    match = _NUMBER.match(parts[1])
    if match is None:
        raise InvalidInput(msg("indicator.command_value", number=number, text=parts[1]))
    return IndicatorCommand(
        number=number, value_text=parts[1], value=float(match.group(1).replace(",", ""))
    )
