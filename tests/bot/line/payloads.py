"""LINE webhook events as LINE sends them, for the tests to post.

Shaped after the Messaging API reference (https://developers.line.biz/en/reference/
messaging-api/#webhook-event-objects: text message with `mention` and `emojis`, unsend,
follow with `follow.isUnblocked`, `mode: "standby"`; #edit-event for messageEdited) and
line-bot-sdk-python's own fixture tests/v3/text/webhook.json (the unsend and follow
events there, field for field), and its MessageEditedEvent model (3.25+: `message` and an
optional `replyToken`).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

BOT = "U0b0t0000000000000000000000000001"  # the webhook's `destination`: the bot's own id
_ids = itertools.count(1)


def _base(kind: str, source: dict[str, str], *, mode: str = "active") -> dict[str, Any]:
    n = next(_ids)
    return {
        "type": kind,
        "mode": mode,
        "timestamp": int(time.time() * 1000),
        "source": source,
        "webhookEventId": f"01JCHATEVENT{n:014d}",
        "deliveryContext": {"isRedelivery": False},
    }


def group(user: str, group_id: str) -> dict[str, str]:
    return {"type": "group", "groupId": group_id, "userId": user}


def person(user: str) -> dict[str, str]:
    return {"type": "user", "userId": user}


def text_message(
    text: str,
    *,
    message_id: str | None = None,
    mentionees: list[dict[str, Any]] | None = None,
    emojis: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A text message object (#wh-text): id, text, quoteToken, and when present the
    mention and the LINE emoji spans (indexes in UTF-16 units)."""
    n = next(_ids)
    message: dict[str, Any] = {
        "id": message_id or f"5{n:017d}",
        "type": "text",
        "quoteToken": f"q3Plxr4AgKd{n:06d}Y7AZ5SdWZdCx",
        "text": text,
    }
    if mentionees:
        message["mention"] = {"mentionees": mentionees}
    if emojis:
        message["emojis"] = emojis
    return message


def bot_mention(index: int = 0, name: str = "@hokoku") -> dict[str, Any]:
    """A mention of the bot itself (`isSelf`, and its userId: the destination)."""
    return {"index": index, "length": len(name), "type": "user", "userId": BOT, "isSelf": True}


def message_event(source: dict[str, str], message: dict[str, Any], **kw: Any) -> dict[str, Any]:
    event = _base("message", source, **kw)
    if event["mode"] == "active":
        event["replyToken"] = f"nHuyWiB7yP5Zw52FIkcQobQuGD{next(_ids):06d}"
    event["message"] = message
    return event


def edited_event(source: dict[str, str], message: dict[str, Any]) -> dict[str, Any]:
    """messageEdited: the message as it is now, under the same message id (#edit-event)."""
    event = _base("messageEdited", source)
    event["replyToken"] = f"edT0k3nHuyWiB7yP5Zw52FIkcQ{next(_ids):06d}"
    event["message"] = message
    return event


def unsend_event(source: dict[str, str], message_id: str) -> dict[str, Any]:
    """unsend: no reply token, the unsent message's id (#unsend-event)."""
    event = _base("unsend", source)
    event["unsend"] = {"messageId": message_id}
    return event


def follow_event(user: str, *, unblocked: bool) -> dict[str, Any]:
    event = _base("follow", person(user))
    event["replyToken"] = f"f0110wT0k3n{next(_ids):06d}"
    event["follow"] = {"isUnblocked": unblocked}
    return event


def unfollow_event(user: str) -> dict[str, Any]:
    return _base("unfollow", person(user))


def leave_event(group_id: str, *, mode: str = "active") -> dict[str, Any]:
    """The bot was removed from a group (#leave-event): no reply token."""
    return _base("leave", {"type": "group", "groupId": group_id}, mode=mode)
