"""Checking that a text in English holds no Japanese beyond the data's own names."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Kana, kanji, CJK punctuation (、。「」【】・ and the ideographic space) and full-width forms.
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def japanese_outside(texts: Iterable[object], data: Iterable[str]) -> list[str]:
    """The texts that still hold Japanese once every one of `data` (names of departments,
    items, plans … that are Japanese because the office wrote them so) is taken out."""
    names = sorted({name for name in data if name}, key=len, reverse=True)
    left = []
    for text in texts:
        rest = str(text)
        for name in names:
            rest = rest.replace(name, "")
        if JAPANESE.search(rest):
            left.append(str(text))
    return left
