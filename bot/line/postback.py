"""Postback data of our Flex buttons and quick replies: named actions, compact query strings.

LINE limits postback data to 300 characters; a query string (`a=g&r=3&d=7&i=12&g=B`) keeps
well below and stays readable in logs. Decoding never trusts the data: the webhook still
checks that the sender belongs to the department named in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from handlers.errors import InvalidInput

ACTION_GRADE = "g"  # a grade button in an item bubble
ACTION_NEXT = "n"  # "次へ": the next page of pending items
ACTION_NO_COMMENT = "nc"  # quick reply コメントなし
ACTION_SAME_COMMENT = "sc"  # quick reply 前年と同じ
ACTION_DEPARTMENT = "dp"  # quick reply: answer the last message as this department

ACTIONS = frozenset(
    {ACTION_GRADE, ACTION_NEXT, ACTION_NO_COMMENT, ACTION_SAME_COMMENT, ACTION_DEPARTMENT}
)
MAX_DATA = 300


@dataclass(frozen=True)
class Postback:
    """One decoded postback. `item` is the item number (for ACTION_NEXT: the last one shown)."""

    action: str
    round_id: int
    department_id: int
    item: int = 0
    grade: str = ""


def encode(postback: Postback) -> str:
    fields: dict[str, str | int] = {
        "a": postback.action,
        "r": postback.round_id,
        "d": postback.department_id,
    }
    if postback.item:
        fields["i"] = postback.item
    if postback.grade:
        fields["g"] = postback.grade
    data = urlencode(fields)
    if len(data) > MAX_DATA:
        raise ValueError(f"postback data longer than {MAX_DATA} characters: {data[:40]}…")
    return data


def decode(data: str) -> Postback:
    """Parse postback data; anything not made by `encode` is an InvalidInput."""
    fields = dict(parse_qsl(data, keep_blank_values=True))
    action = fields.get("a", "")
    if action not in ACTIONS:
        raise InvalidInput("このボタンは古いか不明です。「未回答」と送ると最新の一覧を表示します。")
    try:
        return Postback(
            action=action,
            round_id=_id(fields["r"]),
            department_id=_id(fields["d"]),
            item=_id(fields.get("i", "0")),
            grade=fields.get("g", "")[:20],
        )
    except (KeyError, ValueError) as exc:
        raise InvalidInput(
            "このボタンのデータが読めません。「未回答」と送ると最新の一覧を表示します。"
        ) from exc


def _id(text: str) -> int:
    """A database id we wrote ourselves: a 32-bit non-negative integer, or ValueError."""
    number = int(text)
    if not 0 <= number < 2**31:
        raise ValueError(f"id out of range: {text[:20]}")
    return number
