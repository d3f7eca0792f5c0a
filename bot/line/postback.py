"""Postback data of our Flex buttons and quick replies: intents as compact query strings.

LINE limits postback data to 300 characters; a query string (`a=g&r=3&d=7&i=12&g=B`) keeps
well below and stays readable in logs. Decoding never trusts the data: anything not made
by `encode` is a stale button, and the interaction layer still checks that the sender may
answer for the department named in it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from bot.line import limits
from handlers.interaction.intents import (
    ChooseDepartment,
    CommentShortcut,
    GradeButton,
    MoreItems,
    OpenForm,
)

ACTION_GRADE = "g"  # a grade button in an item card
ACTION_NEXT = "n"  # 次へ: the next page of item cards
ACTION_NO_COMMENT = "nc"  # quick reply コメントなし
ACTION_SAME_COMMENT = "sc"  # quick reply 前年と同じ
ACTION_DEPARTMENT = "dp"  # quick reply: answer as this department
ACTION_REPORT = "rp"  # quick reply: this department's items

Postback = GradeButton | MoreItems | CommentShortcut | ChooseDepartment | OpenForm


def encode(intent: Postback) -> str:
    match intent:
        case GradeButton(round_id, department_id, item, grade, last_year):
            fields: dict[str, str | int] = {
                "a": ACTION_GRADE,
                "r": round_id,
                "d": department_id,
                "i": item,
                "g": grade,
            }
            if last_year:
                fields["p"] = 1
        case MoreItems(round_id, department_id, after_item):
            fields = {"a": ACTION_NEXT, "r": round_id, "d": department_id, "i": after_item}
        case CommentShortcut(round_id, department_id, item, same):
            action = ACTION_SAME_COMMENT if same else ACTION_NO_COMMENT
            fields = {"a": action, "r": round_id, "d": department_id, "i": item}
        case ChooseDepartment(department_id):
            fields = {"a": ACTION_DEPARTMENT, "d": department_id}
        case OpenForm(round_id, department_id):
            fields = {"a": ACTION_REPORT, "r": round_id, "d": department_id}
    data = urlencode(fields)
    if len(data) > limits.POSTBACK_DATA:
        raise ValueError(
            f"postback data longer than {limits.POSTBACK_DATA} characters: {data[:40]}…"
        )
    return data


def decode(data: str) -> Postback | None:
    """The intent of postback data we made; None for anything else (old or forged)."""
    fields = dict(parse_qsl(data, keep_blank_values=True))
    try:
        action = fields.get("a", "")
        if action == ACTION_DEPARTMENT:
            return ChooseDepartment(_id(fields["d"]))
        round_id, department_id = _id(fields["r"]), _id(fields["d"])
        if action == ACTION_REPORT:
            return OpenForm(round_id, department_id)
        item = _id(fields["i"])
        if action == ACTION_GRADE:
            return GradeButton(round_id, department_id, item, fields["g"][:20], "p" in fields)
        if action == ACTION_NEXT:
            return MoreItems(round_id, department_id, item)
        if action in (ACTION_NO_COMMENT, ACTION_SAME_COMMENT):
            return CommentShortcut(round_id, department_id, item, action == ACTION_SAME_COMMENT)
    except (KeyError, ValueError):
        return None
    return None


def _id(text: str) -> int:
    """A number we wrote ourselves: a 32-bit non-negative integer, or ValueError."""
    number = int(text)
    if not 0 <= number < 2**31:
        raise ValueError(f"id out of range: {text[:20]}")
    return number
