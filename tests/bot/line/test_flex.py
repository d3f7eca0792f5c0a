"""Flex builders respect LINE's limits and validate as line-bot-sdk models."""

from __future__ import annotations

from bot.line.client import to_sdk
from bot.line.flex import MAX_BUBBLES, MAX_LABEL, comment_prompt, item_page
from handlers.ports import PendingItem


def test_page_never_exceeds_twelve_bubbles_and_validates() -> None:
    items = [PendingItem(n, f"{n} " + "とても長い取組の名前" * 10) for n in range(1, 14)]
    grades = [("A", "計画以上"), ("概ね達成", "とても長いラベルが付いた評価の段階です")]
    messages = item_page(items, round_id=1, department_id=2, grades=grades, heading="未回答")
    assert len(messages[0]["contents"]["contents"]) == MAX_BUBBLES
    labels = [
        b["action"]["label"] for b in messages[0]["contents"]["contents"][0]["footer"]["contents"]
    ]
    assert all(len(label) <= MAX_LABEL for label in labels)
    assert len(to_sdk(messages)) == 2


def test_empty_page_is_no_message() -> None:
    assert item_page([], round_id=1, department_id=2, grades=[("A", "")], heading="x") == []


def test_comment_prompt_validates_with_quick_replies() -> None:
    message = comment_prompt("・1 → B", round_id=1, department_id=2, item=1, has_previous=True)
    [sdk] = to_sdk([message])
    assert sdk.quick_reply is not None and len(sdk.quick_reply.items) == 2
