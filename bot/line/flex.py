"""LINE layout: the interaction layer's replies and the outbound messages as Messaging API
JSON (plain dicts).

The dicts are exactly the JSON of the Messaging API reference, so tests can read them and
`bot.line.client.to_sdk` turns them into line-bot-sdk models (which validates them). No
sentence of its own: texts come from the catalog and the renderers in handlers.renderers.
Every limit (5 messages per call, 5000-unit texts, 12 bubbles, 20-character labels …) is
named in bot.line.limits; long texts are split into several messages, never silently cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.line import limits
from bot.line.postback import Postback, encode
from handlers.i18n import Translator
from handlers.interaction.intents import (
    ChooseDepartment,
    CommentShortcut,
    GradeButton,
    MoreItems,
    OpenForm,
)
from handlers.interaction.reply import (
    ANSWER,
    ChartPicture,
    Choice,
    CommentPrompt,
    ItemCards,
    Part,
    Reply,
)
from handlers.interaction.text import reply_text
from handlers.ports import OutboundMessage, RoundRequest
from handlers.renderers import render_outbound

Json = dict[str, Any]

MAX_BUBBLES = limits.CAROUSEL_BUBBLES
MAX_LABEL = limits.LABEL
TITLE_TEXT = 300  # an item title in a bubble (6 lines shown)
GREEN = "#1DB446"
GREY = "#888888"

_clip = limits.clip


def text(body: str, *, quick_replies: Sequence[Json] = ()) -> Json:
    message: Json = {"type": "text", "text": _clip(body, limits.TEXT)}
    if quick_replies:
        message["quickReply"] = {"items": list(quick_replies)[: limits.QUICK_REPLY_ITEMS]}
    return message


def texts(
    t: Translator, body: str, *, room: int = limits.MESSAGES_PER_CALL, quick: Sequence[Json] = ()
) -> list[Json]:
    """A long text as up to `room` text messages split at line breaks (LINE: 5000 each);
    quick replies go on the last. Only past `room` messages is the rest dropped, and the
    last message says so."""
    pieces = limits.split_text(body)
    if len(pieces) > room:
        pieces = pieces[:room]
        truncated = t("line.truncated")
        budget = limits.TEXT - limits.utf16_len(truncated) - 1
        pieces[-1] = _clip(pieces[-1], budget) + "\n" + truncated
    messages = [text(piece) for piece in pieces]
    if quick and messages:
        messages[-1] = text(pieces[-1], quick_replies=quick)
    return messages


def postback_action(label: str, intent: Postback, *, display: str | None = None) -> Json:
    action: Json = {"type": "postback", "label": _clip(label, MAX_LABEL), "data": encode(intent)}
    if display:
        action["displayText"] = _clip(display, limits.DISPLAY_TEXT)
    return action


def quick_reply(label: str, intent: Postback) -> Json:
    return {"type": "action", "action": postback_action(label, intent, display=label)}


def grade_label(letter: str, label: str = "") -> str:
    return _clip(f"{letter} {label}".strip(), MAX_LABEL)


# --- item cards ---------------------------------------------------------------------------


def item_bubble(t: Translator, cards: ItemCards, index: int) -> Json:
    """One pending item: number, code + title, last year's grade, one button per grade."""
    item = cards.items[index]
    buttons = [
        {
            "type": "button",
            "style": "secondary",
            "height": "sm",
            "action": postback_action(
                grade_label(letter, label),
                GradeButton(
                    cards.round_id,
                    cards.department_id,
                    item.number,
                    letter,
                    last_year=item.previous_grade is not None,
                ),
                display=f"{item.number} {letter}",
            ),
        }
        for letter, label in cards.grades
    ]
    previous = t("previous.grade", grade=item.previous_grade or t("previous.none"))
    return {
        "type": "bubble",
        "size": "kilo",
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "text",
                    "text": t("cards.item", item=item.number),
                    "size": "sm",
                    "color": GREEN,
                },
                {
                    "type": "text",
                    "text": _clip(item.display, TITLE_TEXT),
                    "wrap": True,
                    "weight": "bold",
                    "size": "sm",
                    "maxLines": 6,
                },
                {"type": "text", "text": previous, "size": "xs", "color": GREY},
            ],
        },
        "footer": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": buttons},
    }


def next_bubble(t: Translator, cards: ItemCards, *, last_item: int, remaining: int) -> Json:
    """The 次へ bubble sent after a full carousel: shows the next page of pending items."""
    label = t("cards.next")
    return {
        "type": "bubble",
        "size": "kilo",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "text", "text": t.plural("cards.more", remaining), "wrap": True}],
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
                        label,
                        MoreItems(cards.round_id, cards.department_id, last_item),
                        display=label,
                    ),
                }
            ],
        },
    }


def item_page(t: Translator, cards: ItemCards) -> list[Json]:
    """One carousel of up to 12 pending items, plus a 次へ bubble when more remain."""
    shown = min(len(cards.items), MAX_BUBBLES)
    if not shown:
        return []
    bubbles = [item_bubble(t, cards, index) for index in range(shown)]
    numbers = t.join(str(item.number) for item in cards.items[:shown])
    messages: list[Json] = [
        {
            "type": "flex",
            "altText": _clip(f"{t('cards.heading')}: {numbers}", limits.ALT_TEXT),
            "contents": {"type": "carousel", "contents": bubbles},
        }
    ]
    remaining = len(cards.items) - shown
    if remaining > 0:
        more = next_bubble(t, cards, last_item=cards.items[shown - 1].number, remaining=remaining)
        messages.append(
            {
                "type": "flex",
                "altText": _clip(t.plural("cards.more", remaining), limits.ALT_TEXT),
                "contents": more,
            }
        )
    return messages


# --- replies ------------------------------------------------------------------------------


def image(url: str) -> Json:
    """An image message: the published chart serves as the preview too (it is under 1 MB)."""
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}


def _quick_replies(t: Translator, part: Part) -> list[Json]:
    if isinstance(part, Choice):
        return [
            quick_reply(
                m.department_name,
                ChooseDepartment(m.department_id)
                if part.then == ANSWER
                else OpenForm(part.round_id, m.department_id),
            )
            for m in part.options
        ]
    if isinstance(part, CommentPrompt):
        where = (part.round_id, part.department_id, part.item)
        replies = [quick_reply(t("comment.label.none"), CommentShortcut(*where, False))]
        if part.has_previous:
            replies.append(quick_reply(t("comment.label.same"), CommentShortcut(*where, True)))
        return replies
    return []


def messages(t: Translator, reply: Reply) -> list[Json]:
    """A reply as at most 5 messages: its text (with the quick replies of a choice or a
    comment prompt), then item cards as a carousel."""
    cards = [m for p in reply.parts if isinstance(p, ItemCards) for m in item_page(t, p)]
    cards += [image(p.url) for p in reply.parts if isinstance(p, ChartPicture)]
    cards = cards[: limits.MESSAGES_PER_CALL - 1]
    quick = [q for part in reply.parts for q in _quick_replies(t, part)]
    body = reply_text(reply)
    if not body:
        return cards
    room = limits.MESSAGES_PER_CALL - len(cards)
    return texts(t, body, room=room, quick=quick) + cards


# --- outbound -----------------------------------------------------------------------------


def outbound(t: Translator, sent: OutboundMessage) -> list[Json]:
    """A request as its text and the carousel of pending items (with 次へ past 12); a
    digest or a notice as text."""
    body = "\n".join(render_outbound(t, sent))
    if isinstance(sent, RoundRequest):
        cards = ItemCards(
            round_id=sent.round_id,
            department_id=sent.department_id,
            department_name=sent.department_name,
            items=sent.pending,
            grades=tuple((letter, "") for letter in sent.grades),
        )
        page = item_page(t, cards)
        intro = f"{body}\n{t('request.buttons')}"
        return texts(t, intro, room=limits.MESSAGES_PER_CALL - len(page)) + page
    return texts(t, body)
