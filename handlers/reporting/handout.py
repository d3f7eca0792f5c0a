"""The conventions of the 達成状況一覧 that both directions share: how the departments'
comments on one item become one cell, and how that cell is read back.

The export writes the cell (`merge_comments`) and last year's results are imported from it
(`handlers.committee.results_import`); keeping the convention here lets the import read the
handout without depending on the code that writes it.
"""

from __future__ import annotations

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


# The handout's column headings in both languages (`hokoku export`, `--lang en`): what the
# results import recognises when a handout comes back as last year's results. The export
# adds the year to each (`達成度（R7）`, `Grade (FY2025)`); `handlers.plan.table_import.headers`
# reads it off again.
DEPARTMENT_WORDS = ("担当課", "Department")
GRADE_WORDS = ("達成度", "Grade")
PREVIOUS_GRADE_WORDS = ("前年度達成度", "Previous grade")
COMMENT_WORDS = ("取組計画と達成状況", "Plans and progress")
EVALUATION_WORDS = ("委員会評価", "Committee evaluation")
