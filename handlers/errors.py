"""Errors a user can fix, as message ids with parameters (see handlers.i18n).

`HokokuError(msg("answer.grade_invalid", grade="Z", grades="A／B"))` says what is wrong
and how to fix it in the reader's language: every adapter and the CLI render `err.msg`
with the reader's translator. A plain string is shown as it is in every language; only
the plan table import (handlers/plan/table_import) and the results import still raise
them, until they are converted; everything else raises message ids, and
tests/test_words.py fails on a literal sentence in a `raise`. Names and text from the
user's own files travel as parameters (or `literal(...)`), never as the sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.i18n import Message, literal, msg, translator


class HokokuError(Exception):
    """Base of every user-facing error; `str(err)` is its text in the default language."""

    def __init__(self, message: str | Message) -> None:
        self.msg = literal(message) if isinstance(message, str) else message
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The text in the default language (Japanese), for logs, the CLI and tests."""
        return translator().render(self.msg)


class NotFound(HokokuError):
    """A plan, round, department or item named by the user does not exist."""


class InvalidInput(HokokuError):
    """Input that does not fit (bad grade, too long comment, malformed line …)."""


class InvalidValue(InvalidInput, ValueError):
    """An InvalidInput where the caller expects a ValueError: a setting or a stored schedule
    that cannot be read (parsers' callers catch ValueError; people read the message)."""


class PermissionDenied(HokokuError):
    """The caller may not do this (other department's item, office-only command …)."""


class RoundClosed(HokokuError):
    """The round no longer takes answers."""


class TooManyAttempts(HokokuError):
    """The caller failed too often (invite codes); refused until the window passes."""


def line_problem(line: int, message_id: str, /, **params: Any) -> Message:
    """One problem of a table's line: `3行目: …` / `Line 3: …`."""
    return msg("problem.line", line=line, text=msg(message_id, **params))


def import_refused(
    file: str, problems: Sequence[Message], *, limit: int, refusal: str = "import.refused"
) -> InvalidInput:
    """The one error of a table that was not imported: its first `limit` problems, and how
    many more there are (`refusal` says what was refused, with {file} {problems} {more})."""
    extra = len(problems) - limit
    more = msg("import.more", count=extra) if extra > 0 else literal("")
    return InvalidInput(msg(refusal, file=file, problems=tuple(problems[:limit]), more=more))
