"""Errors a user can fix, as message ids with parameters (see handlers.i18n).

`HokokuError(msg("answer.grade_invalid", grade="Z", grades="A／B"))` says what is wrong
and how to fix it in the reader's language; a plain string is a sentence already written
(the plan import's Japanese errors) and is shown as it is in every language.
"""

from __future__ import annotations

from handlers.i18n import Message, literal, translator


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


class PermissionDenied(HokokuError):
    """The caller may not do this (other department's item, office-only command …)."""


class RoundClosed(HokokuError):
    """The round no longer takes answers."""


class TooManyAttempts(HokokuError):
    """The caller failed too often (invite codes); refused until the window passes."""
