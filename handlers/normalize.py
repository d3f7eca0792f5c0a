"""Folding of what people type: full-width digits and letters (１２　Ｂ), lower case, spaces."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# C0/C1 control characters other than tab and newline, lone surrogates (JSON may carry
# "\ud800", which cannot be encoded as UTF-8) and non-characters: what no person types,
# what PostgreSQL refuses in text (NUL), what breaks a terminal.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def fold(text: str) -> str:
    """NFKC-fold, collapse white space (incl. U+3000) and strip."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def fold_key(text: str) -> str:
    """A comparison key: folded, upper-cased, without any white space."""
    return fold(text).upper().replace(" ", "")


def clean_text(text: str) -> str:
    """What a person sent, minus control characters (NUL …); CRLF and CR become LF."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


IDEOGRAPHIC_COMMA = "\u3001"  # 、


def split_list(text: str) -> list[str]:
    """The items of a list as typed, separated by `,`, `、` or a full-width comma; each
    stripped, empty ones dropped (`10,5、2，1` → ["10", "5", "2", "1"])."""
    parts = unicodedata.normalize("NFKC", text).replace(IDEOGRAPHIC_COMMA, ",").split(",")
    return [part.strip() for part in parts if part.strip()]
