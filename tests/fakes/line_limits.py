"""Strict check of Messaging API request bodies against LINE's documented limits.

The numbers are written out here on purpose (not imported from bot.line.limits). Source:
developers.line.biz/en/reference/messaging-api (text message 5000; Flex altText 1500;
bubble JSON 30 KB, carousel 50 KB and 12 bubbles; 5 messages per reply/push; quick reply
13 items; action label 20 (Flex button 40); postback data 300, displayText 300) and
docs/messaging-api/text-character-count (texts count UTF-16 code units).
"""

from __future__ import annotations

import json
from typing import Any

Problems = list[str]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _size(obj: Any) -> int:
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())


def _string(problems: Problems, path: str, value: Any, limit: int, *, required: bool) -> None:
    if value is None:
        if required:
            problems.append(f"{path}: missing")
        return
    if not isinstance(value, str) or (required and not value):
        problems.append(f"{path}: empty or not a string")
    elif utf16_len(value) > limit:
        problems.append(f"{path}: {utf16_len(value)} characters > {limit}")


def _action(problems: Problems, path: str, action: Any, *, label_limit: int) -> None:
    if not isinstance(action, dict):
        problems.append(f"{path}: not an object")
        return
    _string(problems, f"{path}.label", action.get("label"), label_limit, required=True)
    if action.get("type") == "postback":
        _string(problems, f"{path}.data", action.get("data"), 300, required=True)
        _string(problems, f"{path}.displayText", action.get("displayText"), 300, required=False)
        if "displayText" in action and "text" in action:
            problems.append(f"{path}: displayText and text both set")
    elif action.get("type") == "message":
        _string(problems, f"{path}.text", action.get("text"), 300, required=True)
    else:
        problems.append(f"{path}.type: {action.get('type')!r} is not checked here")


def _component(problems: Problems, path: str, comp: Any) -> None:
    if not isinstance(comp, dict):
        problems.append(f"{path}: not an object")
        return
    kind = comp.get("type")
    if kind == "box":
        for i, child in enumerate(comp.get("contents") or []):
            _component(problems, f"{path}.contents[{i}]", child)
    elif kind == "button":
        _action(problems, f"{path}.action", comp.get("action"), label_limit=40)
    elif kind == "text":
        if not comp.get("text") and not comp.get("contents"):
            problems.append(f"{path}.text: empty")
    elif kind not in {"separator", "filler", "spacer"}:
        problems.append(f"{path}: component type {kind!r} is not checked here")


def _bubble(problems: Problems, path: str, bubble: Any) -> None:
    if not isinstance(bubble, dict) or bubble.get("type") != "bubble":
        problems.append(f"{path}: not a bubble")
        return
    if _size(bubble) > 30_000:
        problems.append(f"{path}: {_size(bubble)} bytes of JSON > 30 KB")
    for block in ("header", "hero", "body", "footer"):
        if block in bubble:
            _component(problems, f"{path}.{block}", bubble[block])


MAX_URL = 2000


def _image_url(problems: Problems, path: str, url: Any) -> None:
    """An image message's URLs: required, HTTPS, at most 2000 characters."""
    if not isinstance(url, str) or not url:
        problems.append(f"{path}: required")
        return
    if not url.startswith("https://"):
        problems.append(f"{path}: {url[:60]!r} is not HTTPS")
    if len(url) > MAX_URL:
        problems.append(f"{path}: {len(url)} characters > {MAX_URL}")


def message_problems(path: str, message: Any) -> Problems:
    problems: Problems = []
    if not isinstance(message, dict):
        return [f"{path}: not an object"]
    kind = message.get("type")
    if kind == "text":
        _string(problems, f"{path}.text", message.get("text"), 5000, required=True)
    elif kind == "flex":
        _string(problems, f"{path}.altText", message.get("altText"), 1500, required=True)
        contents = message.get("contents")
        if isinstance(contents, dict) and contents.get("type") == "carousel":
            bubbles = contents.get("contents") or []
            if not 1 <= len(bubbles) <= 12:
                problems.append(f"{path}.contents: {len(bubbles)} bubbles (1..12)")
            if _size(contents) > 50_000:
                problems.append(f"{path}.contents: {_size(contents)} bytes of JSON > 50 KB")
            for i, bubble in enumerate(bubbles):
                _bubble(problems, f"{path}.contents.contents[{i}]", bubble)
        else:
            _bubble(problems, f"{path}.contents", contents)
    elif kind == "image":
        for key in ("originalContentUrl", "previewImageUrl"):
            _image_url(problems, f"{path}.{key}", message.get(key))
    else:
        problems.append(f"{path}.type: {kind!r} is not checked here")
    quick = message.get("quickReply")
    if quick is not None:
        items = quick.get("items") or []
        if not 1 <= len(items) <= 13:
            problems.append(f"{path}.quickReply.items: {len(items)} (1..13)")
        for i, item in enumerate(items):
            action = item.get("action") if isinstance(item, dict) else None
            item_path = f"{path}.quickReply.items[{i}].action"
            _action(problems, item_path, action, label_limit=20)
    return problems


def request_problems(body: Any) -> Problems:
    """A reply or push request body: 1..5 messages, each within its limits."""
    if not isinstance(body, dict):
        return ["body: not an object"]
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        count = len(messages) if isinstance(messages, list) else messages
        return [f"messages: {count} (1..5 per call)"]
    problems: Problems = []
    for i, message in enumerate(messages):
        problems += message_problems(f"messages[{i}]", message)
    return problems
