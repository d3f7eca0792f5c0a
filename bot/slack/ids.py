"""Action ids, callback ids and block ids of every Slack surface, as named constants.

Listeners match on these and builders emit them, so one typo cannot split the two.
"""

from __future__ import annotations

import re

PLATFORM = "slack"

# Buttons in messages, App Home and ephemeral replies.
ACTION_OPEN_REPORT = "hokoku_open_report"  # "報告する": opens the answer modal
ACTION_CHOOSE_DEPARTMENT = "hokoku_choose_department"  # several memberships: which one?
WEB_LINK = "hokoku_web_link"  # opens the web console's sign-in link (a URL button)

# Inside the answer modal.
CALLBACK_ANSWER = "hokoku_answer"  # the modal's callback_id (submit = next page / send)
ACTION_PAGE_BACK = "hokoku_page_back"  # "前へ" button on pages after the first

# Input blocks of one item in the modal: the item number is part of the block id.
_GRADE_BLOCK = "grade_{number}"
_COMMENT_BLOCK = "comment_{number}"
ACTION_GRADE = "grade"
ACTION_COMMENT = "comment"

_ITEM_BLOCK = re.compile(r"^(grade|comment)_(\d+)$")


def grade_block(number: int) -> str:
    return _GRADE_BLOCK.format(number=number)


def comment_block(number: int) -> str:
    return _COMMENT_BLOCK.format(number=number)


def parse_item_block(block_id: str) -> tuple[str, int] | None:
    """`grade_12` → ("grade", 12); anything else → None."""
    match = _ITEM_BLOCK.match(block_id)
    return None if match is None else (match.group(1), int(match.group(2)))
