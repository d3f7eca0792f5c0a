"""The conventions of the 達成状況一覧 that both directions share: how the departments'
comments on one item become one cell and how that cell is read back, and the handout's
words (title and column headers, in Japanese and English).

The export writes the handout (`merge_comments`, `handout_words`) and last year's results
are imported from it (`handlers.committee.results_import`, which recognises the headers in
every language with `header_words`); keeping the convention here lets the import read the
handout without depending on the code that writes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.i18n import LANGUAGES, translator

BULLET = "・"


def merge_comments(comments: list[tuple[str, str]]) -> str:
    """The item's comment cell from (department, comment) in assignment order.

    Every non-empty comment becomes one `・` bullet. When several departments commented, the
    bullet names its department (`・【学校教育課】…`) so that the committee can tell whose
    work each sentence describes; a single comment stays a plain `・…`.
    """
    given = [(dept, text.strip()) for dept, text in comments if text.strip()]
    if len(given) == 1:
        return f"{BULLET}{given[0][1]}"
    return "\n".join(f"{BULLET}【{dept}】{text}" for dept, text in given)


# --- The handout's words -------------------------------------------------------------------
# The 達成状況一覧's title and column headers, in the language it is written in (the
# export) and in every language (reading a handout back: the results import). Message ids
# of the catalogs; the year of the answers follows a header: `担当課（R7）` / `Department
# (FY2025)`.

HEADER_IDS = {
    "department": "handout.header.department",
    "grade": "handout.header.grade",
    "previous_grade": "handout.header.previous_grade",
    "comment": "handout.header.comment",
    "evaluation": "handout.header.evaluation",
}


@dataclass(frozen=True)
class HandoutWords:
    """The handout's fixed words in one language."""

    language: str
    document: str  # 達成状況一覧: the table's sheet and the end of its title
    department: str  # 担当課
    grade: str  # 達成度
    previous_grade: str  # 前年度達成度 (the CSV's column of last year's grades)
    comment: str  # 取組計画と達成状況
    evaluation: str  # 委員会評価

    def with_year(self, header: str, fiscal_year: int) -> str:
        """`担当課（R7）` / `Department (FY2025)`: a column of that year's answers."""
        t = translator(self.language)
        return t("handout.with_year", header=header, year=t.fiscal_year_short(fiscal_year))

    def level(self, number: int) -> str:
        """The header of a hierarchy level the plan did not name (`階層3` / `Level 3`)."""
        return translator(self.language)("handout.level", number=number)


def handout_words(language: str) -> HandoutWords:
    t = translator(language)
    return HandoutWords(
        language=t.language,
        document=t("handout.document"),
        **{key: t(message_id) for key, message_id in HEADER_IDS.items()},
    )


def header_words(key: str) -> tuple[str, ...]:
    """One header (`department`, `grade`, `previous_grade`, `comment`, `evaluation`) in
    every language, Japanese first: what a handout read back may call that column."""
    return tuple(dict.fromkeys(translator(language)(HEADER_IDS[key]) for language in LANGUAGES))


# What the results import recognises when a handout comes back as last year's results: each
# column's header in every language (the export adds the year: `達成度（R7）`, `Grade
# (FY2025)`; `handlers.plan.table_import.headers` reads it off again).
DEPARTMENT_WORDS = header_words("department")
GRADE_WORDS = header_words("grade")
PREVIOUS_GRADE_WORDS = header_words("previous_grade")
COMMENT_WORDS = header_words("comment")
EVALUATION_WORDS = header_words("evaluation")
