"""Every text a chat user reads, by message id, in Japanese (the default) and English.

The catalogs are GNU gettext catalogs (`handlers/locale/<lang>/LC_MESSAGES/hokoku.po`,
compiled to `.mo` by `make catalogs` and committed, so a fresh clone runs without a build
step); the standard library's `gettext` reads them, which keeps the CLI's start-up cheap.
A msgid is a stable code (`answer.grade_invalid`), its msgstr the sentence with named
`{placeholders}`. `tests/handlers/test_i18n.py` checks both catalogs hold every id used in
the code, with the same placeholders, and that the `.mo` files match their `.po`.

Handlers speak in `Message`s (id + parameters); adapters and the CLI turn them into text
with the `Translator` of the reader's language.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

DOMAIN = "hokoku"
LOCALE_DIR = Path(__file__).parent / "locale"
JAPANESE = "ja"
ENGLISH = "en"
LANGUAGES = (JAPANESE, ENGLISH)
DEFAULT_LANGUAGE = JAPANESE


@dataclass(frozen=True)
class Message:
    """A text to show, not yet in any language: a catalog id and its parameters.

    `count` picks the plural form (English "1 item" / "2 items"); a parameter that is
    itself a Message is translated too.
    """

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    count: int | None = None


@dataclass(frozen=True)
class FiscalYear:
    """A fiscal year parameter, shown as `令和7年度` / `FY2025`."""

    year: int


@dataclass(frozen=True)
class Listed:
    """A list parameter joined by another separator than a sentence's list (`list.dot`:
    `番号・指標・目標値` / `number, indicator, target`)."""

    items: tuple[Any, ...]
    separator: str = "list.dot"


def msg(message_id: str, /, *, count: int | None = None, **params: Any) -> Message:
    return Message(message_id, params, count)


def literal(text: str) -> Message:
    """Text that is already final (a name, a sentence from a file): shown as it is."""
    return Message("text", {"text": text})


def normalize_language(value: str | None) -> str | None:
    """`en-US`, `EN`, `ja_JP`, `日本語` → a supported language code, else None."""
    if not value:
        return None
    head = value.strip().replace("_", "-").split("-")[0].lower()
    aliases = {"english": ENGLISH, "英語": ENGLISH, "japanese": JAPANESE, "日本語": JAPANESE}
    head = aliases.get(head, head)
    return head if head in LANGUAGES else None


class Translator:
    """The catalog of one language: message ids → text, dates and fiscal years."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])

    def __call__(self, message_id: str, /, **params: Any) -> str:
        return self._format(self._catalog.gettext(message_id), params)

    def plural(self, message_id: str, count: int, /, **params: Any) -> str:
        text = self._catalog.ngettext(message_id, message_id, count)
        return self._format(text, {"count": count, **params})

    def has(self, message_id: str) -> bool:
        """Is there a text for this id (optional hints are looked up this way)?"""
        return self._catalog.gettext(message_id) != message_id

    def render(self, message: Message) -> str:
        if message.count is not None:
            return self.plural(message.id, message.count, **message.params)
        return self(message.id, **message.params)

    def _format(self, text: str, params: Mapping[str, Any]) -> str:
        if not params:
            return text
        return text.format_map({key: self.value(value) for key, value in params.items()})

    def value(self, value: Any) -> Any:
        """A parameter as text: messages, dates, fiscal years and lists (a tuple, a
        `Listed`) in this language."""
        if type(value) is str or type(value) is int:  # most are: skip the checks below
            return value
        if isinstance(value, Message):
            return self.render(value)
        if isinstance(value, FiscalYear):
            return self.fiscal_year(value.year)
        if isinstance(value, Listed):
            return self(value.separator).join(str(self.value(v)) for v in value.items)
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, tuple):
            return self.join(str(self.value(v)) for v in value)
        return value

    def date(self, day: date) -> str:
        """`2025年5月31日` / `May 31, 2025`."""
        return self("date", year=day.year, month=self(f"month.{day.month}"), day=day.day)

    def fiscal_year(self, fiscal_year: int) -> str:
        """`令和7年度` / `FY2025`."""
        from handlers.fiscal import reiwa_label

        return self("fiscal_year", era=reiwa_label(fiscal_year), year=fiscal_year)

    def fiscal_year_short(self, fiscal_year: int) -> str:
        """`R7` / `FY2025`: the year mark of a table's header."""
        from handlers.fiscal import era_marker

        return self("fiscal_year.short", marker=era_marker(fiscal_year), year=fiscal_year)

    def join(self, parts: Iterable[str]) -> str:
        """A list inside a sentence: `女性センター、職員課` / `Library, Planning`."""
        return self("list.separator").join(parts)


@cache
def translator(language: str | None = None) -> Translator:
    """The translator of `language` (any spelling `normalize_language` reads), else Japanese."""
    return Translator(normalize_language(language) or DEFAULT_LANGUAGE)


def hinted(t: Translator, message: Message, *, audience: str) -> str:
    """The message, and the hint for this audience when the catalog has one
    (`hint.cli.round.none_open`: the CLI names the command that fixes it, a chat does not)."""
    text = t.render(message)
    hint = f"hint.{audience}.{message.id}"
    return f"{text}{t(hint)}" if t.has(hint) else text
