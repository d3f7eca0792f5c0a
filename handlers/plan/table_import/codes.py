"""Splitting the source's own code from a title: `I-1★ …`, `(1) …`, `①…`, `12 …`.

The code is kept as the source wrote it (Ⅲ stays Ⅲ, ① stays ①) because that is what the
committee knows; ★ (重点) becomes a flag and is removed from the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.normalize import fold, fold_key

_STAR = "[★☆]"
_SEP = r"[-‐‑–－ー―.．]"
_DIGITS = "[0-9０-９]+"
_ROMAN = "(?:[IVXⅠ-Ⅻ]+|[ＩＶＸ]+)"
_CIRCLED = "[①-⑳㉑-㉟㊱-㊿]"
_PLAIN = re.compile("^[0-9０-９]+$")

# Each pattern: optional leading star, code, optional star, then what separates code and title.
_PATTERNS = [
    # Roman numeral with optional -1 -2 parts: `I 人権の尊重`, `Ⅲ-1★ ワーク…`; needs a space.
    re.compile(
        rf"^(?P<s1>{_STAR})?(?P<code>{_ROMAN}(?:{_SEP}{_DIGITS})*)(?P<s2>{_STAR})?(?:\s+(?P<title>.*))?$",
        re.S,
    ),
    # Parenthesized number: `(1) …`, `（１）…`.
    re.compile(
        rf"^(?P<s1>{_STAR})?(?P<code>[(（]{_DIGITS}[)）])(?P<s2>{_STAR})?\s*(?P<title>.*)$", re.S
    ),
    # Circled number, usually without a space: `①情報誌…`.
    re.compile(rf"^(?P<s1>{_STAR})?(?P<code>{_CIRCLED})(?P<s2>{_STAR})?\s*(?P<title>.*)$", re.S),
    # Plain number, possibly dotted/hyphenated: `12 …`, `4-1-2 …`, or a bare code `4`.
    re.compile(
        rf"^(?P<s1>{_STAR})?(?P<code>{_DIGITS}(?:{_SEP}{_DIGITS})*)(?P<s2>{_STAR})?(?:\s+(?P<title>.*))?$",
        re.S,
    ),
]


@dataclass(frozen=True)
class CodedTitle:
    code: str
    title: str
    is_priority: bool
    spaced: bool = True  # the source put a space between code and title (`① 男女` vs `①男女`)

    @property
    def key(self) -> str:
        """What identifies the node among its siblings: the code if any, else the title."""
        return fold_key(self.code) if self.code else fold_key(self.title)


def split_code(text: str) -> CodedTitle:
    """`I-1★ 男女の…` → CodedTitle("I-1", "男女の…", True); text without a code keeps it all."""
    text = text.strip().replace("\u3000", " ")
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            star = bool(match.group("s1") or match.group("s2"))
            title = match.group("title") or ""
            gap = text[match.end("s2") if match.group("s2") else match.end("code") :]
            spaced = bool(title) and gap[:1].isspace()
            return CodedTitle(match.group("code"), title.strip(), star, spaced)
    if text.startswith(("★", "☆")):
        return CodedTitle("", text[1:].strip(), True)
    return CodedTitle("", text, False)


def plain_number(code: str) -> int | None:
    """The integer of a plain numeric code (`12`, `１２`), else None (`①`, `4-1`, `(1)`)."""
    if _PLAIN.match(code):
        return int(fold(code))
    return None


_SHAPES = (
    ("roman", re.compile(rf"^{_ROMAN}$")),
    ("circled", re.compile(rf"^{_CIRCLED}$")),
    ("paren", re.compile(rf"^[(（]{_DIGITS}[)）]$")),
    ("number", re.compile(rf"^{_DIGITS}$")),
)


def code_shape(code: str) -> str:
    """How a code is written, for telling heading levels apart: `roman` (Ⅰ), `circled` (①),
    `paren` ((1)), `number` (12), `roman-2`/`number-3` (Ⅰ-1, 1-2-3: the parts), else ``."""
    for name, pattern in _SHAPES:
        if pattern.match(code):
            return name
    parts = re.split(_SEP, code)
    if len(parts) > 1 and all(parts):
        head = "roman" if re.match(rf"^{_ROMAN}$", parts[0]) else "number"
        return f"{head}-{len(parts)}"
    return ""
