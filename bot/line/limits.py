"""LINE Messaging API limits for what we send, and helpers that keep to them.

Source: developers.line.biz/en/reference/messaging-api (Message objects; Flex Message;
Action objects; Quick reply) and docs/messaging-api/text-character-count:
5 messages per reply/push; text message 5000 characters; Flex altText 1500; carousel 12
bubbles and 50 KB of JSON, a bubble 30 KB; quick reply 13 buttons, label 20; action label
20 (40 on a Flex button; we keep to 20 everywhere); postback data 300, displayText 300.
Texts count UTF-16 code units (an emoji or a rare kanji outside the BMP counts 2); action
labels count grapheme clusters, never more than `len()`. Over any limit LINE answers 400
and nothing of the call is delivered.
"""

from __future__ import annotations

ELLIPSIS = "…"

MESSAGES_PER_CALL = 5
TEXT = 5000
ALT_TEXT = 1500
CAROUSEL_BUBBLES = 12
CAROUSEL_BYTES = 50_000
BUBBLE_BYTES = 30_000
QUICK_REPLY_ITEMS = 13
LABEL = 20
POSTBACK_DATA = 300
DISPLAY_TEXT = 300


def utf16_len(text: str) -> int:
    """Length as LINE counts text: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 units, marked with … when cut."""
    if utf16_len(text) <= limit:
        return text
    budget = limit - utf16_len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > budget:
            break
        out.append(char)
        used += width
    return "".join(out) + ELLIPSIS


def split_text(text: str, limit: int = TEXT) -> list[str]:
    """Split a long text at line breaks into pieces of at most `limit` UTF-16 units.

    A single line longer than the limit is cut into limit-sized pieces (nothing dropped).
    """
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while utf16_len(line) > limit:
            head = clip_exact(line, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
            line = line[len(head) :]
        candidate = f"{current}\n{line}" if current else line
        if current and utf16_len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def clip_exact(text: str, limit: int) -> str:
    """The longest prefix of `text` within `limit` UTF-16 units (no marker)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text
