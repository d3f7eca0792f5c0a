"""Slack's message markup decoded once, at the door: what a person typed, as plain text.

Slack sends message text with three characters escaped (`&amp;` `&lt;` `&gt;`) and with
links, mentions and special words as `<…>` tokens
(https://docs.slack.dev/messaging/formatting-message-text/#escaping,
#linking-urls, #mentioning-users, #mentioning-groups, #date-formatting):

- `<https://x.jp|市のHP>` → `市のHP (https://x.jp)`; `<https://x.jp>` → `https://x.jp`;
  `<mailto:a@x.jp|a@x.jp>` → `a@x.jp`;
- `<@U0123>` / `<@U0123|yamada>` → the person's name when known, else `@U0123`;
- `<#C0123|general>` → `#general`; `<!here>` → `@here`; `<!subteam^S01|@kouhou>` →
  `@kouhou`; `<!date^1392734382^{date}|Feb 18, 2014>` → its fallback text.

Stored answers are the text the person meant: the committee's handout must never show
`&amp;` or `<@U222>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"<([^<>\n]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)$")
_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))  # &amp; last: `&amp;lt;` is "&lt;"


def mentioned_users(text: str) -> set[str]:
    """The user ids mentioned in `text` (to look their names up before decoding)."""
    found = set()
    for token in _TOKEN.findall(text):
        target = token.split("|", 1)[0]
        match = _USER.match(target)
        if match:
            found.add(match.group(1))
    return found


def _unescape(text: str) -> str:
    for escaped, plain in _ESCAPES:
        text = text.replace(escaped, plain)
    return text


def _token(token: str, names: Mapping[str, str]) -> str:
    target, _, label = token.partition("|")
    target, label = _unescape(target), _unescape(label)
    user = _USER.match(target)
    if user:
        return names.get(user.group(1)) or f"@{user.group(1)}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        if label:
            return label  # a date's fallback, a user group's handle
        word = target[1:].split("^", 1)[0]
        return f"@{word}" if word in {"here", "channel", "everyone"} else ""
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    if label and label != target:
        return f"{label} ({target})"
    return target


def plain_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """`text` as typed: tokens resolved (mentions by `names`, user id → name), escapes undone.

    Each token and each escape is decoded exactly once: a person who typed `&amp;` gets
    `&amp;` (Slack sent `&amp;amp;`), and `<` typed as text is never read as a token
    (Slack sent `&lt;`).
    """
    known = names or {}
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        parts.append(_unescape(text[position : match.start()]))
        parts.append(_token(match.group(1), known))
        position = match.end()
    parts.append(_unescape(text[position:]))
    return "".join(parts)
