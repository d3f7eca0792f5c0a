"""Errors a user can fix. Their message is shown as is (Japanese by default)."""

from __future__ import annotations


class HokokuError(Exception):
    """Base of every user-facing error; `str(err)` says what is wrong and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
