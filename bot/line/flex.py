"""Flex Message and text builders (Messaging API JSON as plain dicts).

The dicts are exactly the JSON of the Messaging API reference, so tests can read them and
`bot.line.send.to_sdk` turns them into line-bot-sdk models (which validates them).
Every limit (5 messages per call, 5000-unit texts, 12 bubbles, 20-character labels …) is
named in bot.line.limits; long texts are split into several messages, never silently cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.line import limits
from bot.line.postback import (
    ACTION_DEPARTMENT,
    ACTION_GRADE,
    ACTION_NEXT,
    ACTION_NO_COMMENT,
    ACTION_SAME_COMMENT,
    Postback,
    encode,
)
from handlers.ports import PendingItem

Json = dict[str, Any]

MAX_BUBBLES = limits.CAROUSEL_BUBBLES
MAX_LABEL = limits.LABEL
TITLE_TEXT = 300  # an item title in a bubble (6 lines shown)
TRUNCATED = "（長いため、ここまでを表示しています）"
NEXT_LABEL = "次へ"
NO_COMMENT_LABEL = "コメントなし"
SAME_COMMENT_LABEL = "前年と同じ"
GREEN = "#1DB446"
GREY = "#888888"


_clip = limits.clip


def text(body: str, *, quick_replies: Sequence[Json] = ()) -> Json:
    message: Json = {"type": "text", "text": _clip(body, limits.TEXT)}
    if quick_replies:
        message["quickReply"] = {"items": list(quick_replies)[: limits.QUICK_REPLY_ITEMS]}
    return message


def texts(body: str, *, room: int = limits.MESSAGES_PER_CALL) -> list[Json]:
    """A long text as up to `room` text messages split at line breaks (LINE: 5000 each).

    Only past `room` messages is the rest dropped, and the last message says so.
    """
    pieces = limits.split_text(body)
    if len(pieces) > room:
        pieces = pieces[:room]
        budget = limits.TEXT - limits.utf16_len(TRUNCATED) - 1
        pieces[-1] = _clip(pieces[-1], budget) + "\n" + TRUNCATED
    return [text(piece) for piece in pieces]


def postback_action(label: str, postback: Postback, *, display: str | None = None) -> Json:
    action: Json = {"type": "postback", "label": _clip(label, MAX_LABEL), "data": encode(postback)}
    if display:
        action["displayText"] = _clip(display, limits.DISPLAY_TEXT)
    return action


def quick_reply(label: str, postback: Postback) -> Json:
    return {"type": "action", "action": postback_action(label, postback, display=label)}


def grade_label(letter: str, label: str = "") -> str:
    return _clip(f"{letter} {label}".strip(), MAX_LABEL)


def item_bubble(
    item: PendingItem,
    *,
    round_id: int,
    department_id: int,
    grades: Sequence[tuple[str, str]],
) -> Json:
    """One pending item: number, code + title, last year's grade, one button per grade."""
    previous = item.previous_grade or "なし"
    buttons = [
        {
            "type": "button",
            "style": "secondary",
            "height": "sm",
            "action": postback_action(
                grade_label(letter, label),
                Postback(ACTION_GRADE, round_id, department_id, item=item.number, grade=letter),
                display=f"{item.number} {letter}",
            ),
        }
        for letter, label in grades
    ]
    return {
        "type": "bubble",
        "size": "kilo",
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {"type": "text", "text": f"No.{item.number}", "size": "sm", "color": GREEN},
                {
                    "type": "text",
                    "text": _clip(item.display, TITLE_TEXT),
                    "wrap": True,
                    "weight": "bold",
                    "size": "sm",
                    "maxLines": 6,
                },
                {"type": "text", "text": f"前年度: {previous}", "size": "xs", "color": GREY},
            ],
        },
        "footer": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": buttons},
    }


def next_bubble(*, round_id: int, department_id: int, last_item: int, remaining: int) -> Json:
    """The 次へ bubble sent after a full carousel: shows the next page of pending items."""
    return {
        "type": "bubble",
        "size": "kilo",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {"type": "text", "text": f"ほかに未回答が {remaining} 件あります。", "wrap": True}
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "color": GREEN,
                    "action": postback_action(
                        NEXT_LABEL,
                        Postback(ACTION_NEXT, round_id, department_id, item=last_item),
                        display=NEXT_LABEL,
                    ),
                }
            ],
        },
    }


def item_page(
    items: Sequence[PendingItem],
    *,
    round_id: int,
    department_id: int,
    grades: Sequence[tuple[str, str]],
    heading: str,
) -> list[Json]:
    """One carousel of up to 12 pending items, plus a 次へ bubble when more remain."""
    page = list(items[:MAX_BUBBLES])
    if not page:
        return []
    bubbles = [
        item_bubble(item, round_id=round_id, department_id=department_id, grades=grades)
        for item in page
    ]
    alt = f"{heading}: " + "、".join(str(item.number) for item in page)
    messages: list[Json] = [
        {
            "type": "flex",
            "altText": _clip(alt, limits.ALT_TEXT),
            "contents": {"type": "carousel", "contents": bubbles},
        }
    ]
    remaining = len(items) - len(page)
    if remaining > 0:
        messages.append(
            {
                "type": "flex",
                "altText": f"ほかに未回答が {remaining} 件あります（次へ）",
                "contents": next_bubble(
                    round_id=round_id,
                    department_id=department_id,
                    last_item=page[-1].number,
                    remaining=remaining,
                ),
            }
        )
    return messages


def request_intro(
    *,
    round_label: str,
    plan_name: str,
    department_name: str,
    deadline: date,
    total: int,
    pending: int,
    reminder: bool,
) -> Json:
    kind = "【再送】" if reminder else ""
    return text(
        f"{kind}{round_label} {plan_name} の進行管理の報告をお願いします（{department_name}）。\n"
        f"締切: {deadline.month}月{deadline.day}日　未回答 {pending} / {total} 件\n"
        "各項目の達成度のボタンを押すと記録され、続けてコメントを送れます。"
        "文字で「12 B コメント」と送っても答えられます。"
    )


def comment_prompt(
    summary: str, *, round_id: int, department_id: int, item: int, has_previous: bool
) -> Json:
    """After a grade: ask for the comment, with quick replies コメントなし / 前年と同じ."""
    replies = [
        quick_reply(NO_COMMENT_LABEL, Postback(ACTION_NO_COMMENT, round_id, department_id, item))
    ]
    if has_previous:
        replies.append(
            quick_reply(
                SAME_COMMENT_LABEL, Postback(ACTION_SAME_COMMENT, round_id, department_id, item)
            )
        )
    return text(
        f"{summary}\n続けて、この項目のコメント（取組の状況）を送ってください。",
        quick_replies=replies,
    )


def choose_department(body: str, departments: Sequence[tuple[int, str]]) -> Json:
    """Several departments: one quick reply per department (LINE allows 13)."""
    return text(
        body,
        quick_replies=[
            quick_reply(name, Postback(ACTION_DEPARTMENT, 0, department_id))
            for department_id, name in departments[: limits.QUICK_REPLY_ITEMS]
        ],
    )
