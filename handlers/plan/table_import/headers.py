"""The words a table's header is made of, and the year labels offices put around them.

One column is headed 達成度, 達成度（R7）, 達成度(令和7年度), 達成度（2025年度）, H19評価 or
各課評価(H19) depending on the office, and hokoku's own handout writes 担当課（R7） or
Department (FY2025). `read_header` separates the word from its year, so that the plan import
recognises a column by its word whatever year it carries, and the results import can take
this year's column among several.

The vocabulary here is what the plan import needs to tell a header row from a data row: a row
made only of these words is a header (a second header line, or the header repeated before a
pasted block), never an item or a department.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.normalize import fold_key

# Highest priority first: with both 事業名 and 事業, 事業名 is the title (Kiyose).
ITEM_HEADERS = (
    "取組項目",
    "事業名称",
    "事業名",
    "具体的な取組",
    "具体的取組",
    "主な取組",
    "取組",
    "事業",
    "ITEM",
    "ITEMS",
)
DEPARTMENT_HEADERS = (
    "担当課",
    "主管課",
    "所管",
    "担当",
    "所管課",
    "担当部署",
    "担当課名",
    "所管課名",
    "関係課",
    "DEPARTMENT",
    "DEPARTMENTS",
    "DEPT",
)
DEPARTMENT_FRAGMENTS = ("担当課", "所管", "担当部", "主管")
DESCRIPTION_HEADERS = ("内容", "事業内容", "取組内容", "事業概要", "概要", "DESCRIPTION")
# A code column left of the item column: 事業 next to 事業名 (Kiyose), 事業コード, No.
CODE_HEADERS = (
    "番号",
    "NO",
    "NO.",
    "項番",
    "事業番号",
    "事業NO",
    "事業NO.",
    "事業コード",
    "コード",
    "整理番号",
    "通し番号",
    "CODE",
    "事業",
)
# Words naming a level of the plan's hierarchy, the broader first. A heading row starts with
# one of them (基本目標Ⅰ …, 重点課題1 …), and a hierarchy column is often headed by one.
LEVEL_WORDS = (
    "基本理念",
    "基本目標",
    "重点目標",
    "目標",
    "基本方針",
    "方針",
    "分野",
    "領域",
    "重点課題",
    "主要課題",
    "課題",
    "基本施策",
    "施策の方向性",
    "施策の方向",
    "主要施策",
    "具体的施策",
    "施策",
    "重点項目",
)
# Other columns offices keep beside the plan (and the results import reads).
OTHER_HEADERS = (
    "備考",
    "達成度",
    "評価",
    "進捗度",
    "進捗状況",
    "達成状況",
    "取組状況",
    "取組実績",
    "実績",
    "指標",
    "目標値",
    "実施時期",
    "年度",
    "区分",
    "重点",
    "再掲",
    "コメント",
    "GRADE",
    "COMMENT",
)
HEADER_WORDS = frozenset(
    fold_key(word)
    for words in (
        ITEM_HEADERS,
        DEPARTMENT_HEADERS,
        DESCRIPTION_HEADERS,
        CODE_HEADERS,
        LEVEL_WORDS,
        OTHER_HEADERS,
    )
    for word in words
)

_ERA = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_NUMBER = r"(元|\d{1,2})"
# Each: a year label somewhere in the folded header (NFKC: （R7） is (R7)), removed from it.
_YEAR_LABELS = (
    re.compile(rf"\(?(令和|平成){_NUMBER}年度?\)?"),
    re.compile(r"\(?FY(\d{4})\)?"),
    re.compile(r"\(?((?:19|20)\d\d)年度\)?"),
    re.compile(r"\(((?:19|20)\d\d)\)"),
    re.compile(rf"\((R|H){_NUMBER}(?:年度)?\)"),
    re.compile(rf"^(R|H){_NUMBER}(?:年度)?(?=\D)"),
    re.compile(rf"(?<=\D)(R|H){_NUMBER}(?:年度)?$"),
)
_PREVIOUS = ("前年度の", "前年度", "前年", "昨年度", "前回", "PREVIOUS")


@dataclass(frozen=True)
class HeaderText:
    """A header cell read: its word (folded, without year), the year it names, last year's?"""

    key: str
    year: int | None = None
    previous: bool = False


def _year(match: re.Match[str]) -> int:
    groups = [g for g in match.groups() if g]
    if len(groups) == 1:
        return int(groups[0])
    era, number = groups
    return _ERA[era] + (1 if number == "元" else int(number))


def read_header(text: str) -> HeaderText:
    """`達成度（R7）` → (達成度, 2025); `H19評価` → (評価, 2007); `Previous grade` → previous."""
    key = fold_key(text)
    year: int | None = None
    for pattern in _YEAR_LABELS:
        match = pattern.search(key)
        if match is None:
            continue
        year = year if year is not None else _year(match)
        key = key[: match.start()] + key[match.end() :]
    key = key.removeprefix("の").removesuffix("の").replace("()", "")
    previous = False
    for mark in _PREVIOUS:
        if key.startswith(mark) and len(key) > len(mark):
            key, previous = key[len(mark) :], True
            break
    return HeaderText(key=key, year=year, previous=previous)


def header_key(text: str) -> str:
    """The word of a header cell, for matching: folded, without any year label."""
    return read_header(text).key


def is_header_word(text: str, *, fragments: bool = True) -> bool:
    """Is this cell a column heading (担当課, 事業名, 達成度（R7）, No.) rather than data?

    `fragments`: also a word containing 担当課/所管/担当部/主管 (所管部署, 担当課等), which
    is how a header cell reads but could be part of a real department's name."""
    key = header_key(text)
    if not key:
        return False
    return key in HEADER_WORDS or (fragments and any(f in key for f in DEPARTMENT_FRAGMENTS))
