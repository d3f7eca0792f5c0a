"""Flex layout respects LINE's limits and validates as line-bot-sdk models."""

from __future__ import annotations

from bot.line.client import to_sdk
from bot.line.flex import MAX_BUBBLES, MAX_LABEL, item_page, messages
from handlers.i18n import msg, translator
from handlers.interaction.reply import CommentPrompt, ItemCards, Reply, Say
from handlers.ports import PendingItem

T = translator("ja")


def cards(items: list[PendingItem], grades: tuple[tuple[str, str], ...]) -> ItemCards:
    return ItemCards(
        round_id=1, department_id=2, department_name="課", items=tuple(items), grades=grades
    )


def test_page_never_exceeds_twelve_bubbles_and_validates() -> None:
    items = [PendingItem(n, f"{n} " + "とても長い取組の名前" * 10) for n in range(1, 14)]
    grades = (("A", "計画以上"), ("概ね達成", "とても長いラベルが付いた評価の段階です"))
    page = item_page(T, cards(items, grades))
    assert len(page[0]["contents"]["contents"]) == MAX_BUBBLES
    labels = [
        b["action"]["label"] for b in page[0]["contents"]["contents"][0]["footer"]["contents"]
    ]
    assert all(len(label) <= MAX_LABEL for label in labels)
    assert len(to_sdk(page)) == 2


def test_empty_page_is_no_message() -> None:
    assert item_page(T, cards([], (("A", ""),))) == []


def test_comment_prompt_validates_with_quick_replies() -> None:
    reply = Reply((Say(msg("comment.prompt")), CommentPrompt(1, 2, 1, has_previous=True)))
    [message] = messages(T, reply)
    [sdk] = to_sdk([message])
    assert sdk.quick_reply is not None and len(sdk.quick_reply.items) == 2
