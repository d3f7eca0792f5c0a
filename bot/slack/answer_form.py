"""The answer modal's paging and validation: pure functions over Slack's view payload.

A department with 40 items gets 4 pages of 10 (5 blocks each: well under the 100-block
limit). Each page's submit is validated (`response_action: errors`) and its values saved
as a draft (ConversationState keyed by the view id) before the next page is shown, so
nothing typed on page 1 is lost; the last page's submit stores everything at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack import ids, payloads
from handlers.reports import MAX_COMMENT
from handlers.scale import GradeScale

PER_PAGE = 10
DRAFT_KIND = "slack_answer_draft"

Entry = tuple[str | None, str]  # (grade letter or None, comment)


@dataclass(frozen=True)
class FormMeta:
    """What the modal carries in private_metadata (small: ids and the page only)."""

    round_id: int
    department_id: int
    page: int
    channel: str = ""  # where the request came from (confirmation goes to the DM anyway)

    def dump(self) -> str:
        return json.dumps(
            {"r": self.round_id, "d": self.department_id, "p": self.page, "c": self.channel}
        )

    @classmethod
    def load(cls, raw: str) -> FormMeta:
        data = json.loads(raw)
        return cls(int(data["r"]), int(data["d"]), int(data["p"]), str(data.get("c", "")))


def page_count(items: int) -> int:
    return max(1, -(-items // PER_PAGE))


def page_range(page: int) -> slice:
    return slice(page * PER_PAGE, (page + 1) * PER_PAGE)


def read_values(state_values: Mapping[str, Any]) -> dict[int, Entry]:
    """The (grade, comment) typed for every item on the submitted page."""
    entries: dict[int, list[Any]] = {}
    for block_id, actions in state_values.items():
        parsed = ids.parse_item_block(block_id)
        if parsed is None:
            continue
        field, number = parsed
        entry = entries.setdefault(number, [None, ""])
        if field == "grade":
            entry[0] = (
                payloads.optional_text(actions, ids.ACTION_GRADE, "selected_option", "value")
                or None
            )
        else:
            entry[1] = payloads.optional_text(actions, ids.ACTION_COMMENT, "value")
    return {n: (e[0], e[1]) for n, e in entries.items()}


def validate(values: dict[int, Entry], *, scale: GradeScale) -> dict[str, str]:
    """Block id → Japanese error, for `response_action: errors`."""
    errors: dict[str, str] = {}
    for number, (grade, comment) in values.items():
        if grade is not None and scale.match(grade) is None:
            errors[ids.grade_block(number)] = f"達成度は {scale.hint()} から選んでください。"
        elif grade is None and comment.strip():
            errors[ids.grade_block(number)] = (
                "コメントだけでは保存できません。達成度も選んでください。"
            )
        if len(comment.strip()) > MAX_COMMENT:
            errors[ids.comment_block(number)] = (
                f"コメントは{MAX_COMMENT}字以内にしてください（いま{len(comment.strip())}字）。"
            )
    return errors


def dump_entries(values: dict[int, Entry]) -> dict[str, list[Any]]:
    return {str(n): [g, c] for n, (g, c) in values.items()}


def load_entries(data: dict[str, Any] | None) -> dict[int, Entry]:
    if not data:
        return {}
    return {int(n): (v[0], str(v[1])) for n, v in data.get("answers", {}).items()}
