"""What a row that is not an item is: a heading, a note, the header again, or a title.

Offices keep the sheet they print, so a plan table carries rows that are not plan items:
- headings (見出し行): only one cell filled, starting with a level word or a code:
  `基本目標Ⅰ 男女共同参画の意識づくり`, `重点課題1 …`, `課題2 …`, `施策(1) …`, `Ⅰ …`, `1-2 …`.
  They become hierarchy nodes, above the levels the table has columns for;
- notes (注記): `※△検討 ○実施`, `注1 …`, `（注）…`, `出典：…`, `資料：…` under the table;
- the header repeated before a second printed block pasted under the first;
- title lines above the header.
The import skips notes, repeated headers and titles, and lists every skipped row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.normalize import fold, fold_key
from handlers.plan.table_import.codes import code_shape, split_code
from handlers.plan.table_import.headers import LEVEL_WORDS, header_key

ROW_TITLE = "title"  # above the header, and no heading
ROW_HEADER = "header"  # the header again (a pasted block)
ROW_NOTE = "note"  # ※, 注, 出典, 資料, 凡例
ROW_UNUSED = "unused"  # filled only in columns the import does not use
SKIPPED_KINDS = (ROW_TITLE, ROW_HEADER, ROW_NOTE, ROW_UNUSED)

_NOTE = re.compile(
    r"^(?:[※＊*]|[(（]\s*注|注\s*(?:[0-9０-９]+|[:：.．)）]|\s|$)|出典|凡例|資料\s*[:：0-9０-９])"
)
_WORDS = "|".join(sorted(LEVEL_WORDS, key=len, reverse=True))
_LEVEL_CODE = (
    r"[0-9０-９]+(?:[-‐‑–－ー―.．][0-9０-９]+)*"
    r"|[IVXⅠ-Ⅻ]+(?:[-‐‑–－ー―.．][0-9０-９]+)*|[ＩＶＸ]+"
    r"|[一二三四五六七八九十]+|[①-⑳]|[(（][0-9０-９]+[)）]"
)
_HEADING = re.compile(
    rf"^(?P<word>{_WORDS})\s*(?P<code>{_LEVEL_CODE})?(?P<star>[★☆])?"
    r"(?P<gap>[\s:：.．、。)）]*)(?P<title>.*)$",
    re.S,
)


@dataclass(frozen=True)
class Heading:
    """A heading row read: its level (a word, or the shape of its code) and its node."""

    kind: str  # `word:基本目標` or `code:roman` …: headings of one kind are one level
    label: str  # the level's label: the word, else "" (named by the plan's level labels)
    code: str
    title: str
    is_priority: bool
    spaced: bool


@dataclass(frozen=True)
class SkippedRow:
    """A row the import did not take, and why (`ROW_*`): listed, never dropped silently."""

    row: int  # 1-based
    kind: str
    text: str  # the row's own cells, as written, joined with ` | `


def is_note(text: str) -> bool:
    """`※…`, `注1 …`, `（注）…`, `出典：…`, `資料：…`, `凡例`: a note under (or over) the table."""
    return bool(_NOTE.match(fold(text)))


def read_heading(text: str) -> Heading | None:
    """The heading a lone cell holds: a level word with a number or title (`課題2 …`), or a
    code and a title (`Ⅰ 人権の尊重`, `1-2 啓発`); None for anything else."""
    text = text.strip().replace("\u3000", " ")
    match = _HEADING.match(text)
    # The word must end where its code or a gap starts: 施策の推進 is a title, no heading.
    if (
        match is not None
        and (match.group("code") or match.group("gap"))
        and (match.group("code") or match.group("title").strip())
    ):
        word = match.group("word")
        title = match.group("title").strip()
        return Heading(
            kind=f"word:{word}",
            label=word,
            code=match.group("code") or "",
            title=title,
            is_priority=bool(match.group("star")),
            spaced=bool(title) and any(ch.isspace() for ch in match.group("gap")),
        )
    coded = split_code(text)
    shape = code_shape(coded.code)
    if coded.code and coded.title and shape:
        return Heading(
            kind=f"code:{shape}",
            label="",
            code=coded.code,
            title=coded.title,
            is_priority=coded.is_priority,
            spaced=coded.spaced,
        )
    return None


def names_level(heading: Heading, label: str) -> bool:
    """Does the heading's level word name this hierarchy column (施策 in a 施策 column)?"""
    if not heading.label:
        return True  # a bare code in a hierarchy column is that column's node
    word, key = fold_key(heading.label), header_key(label)
    return bool(key) and (word == key or word in key or key in word)
