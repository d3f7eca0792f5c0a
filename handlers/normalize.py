"""Folding of what people type: full-width digits and letters (１２　Ｂ), lower case, spaces."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC-fold, collapse white space (incl. U+3000) and strip."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def fold_key(text: str) -> str:
    """A comparison key: folded, upper-cased, without any white space."""
    return fold(text).upper().replace(" ", "")
