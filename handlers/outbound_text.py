"""Plain-text renderings of outbound messages (requests, reminders, digests).

The console prints these; Slack and LINE may use them as notification fallback text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.ports import (
    PURPOSE_OVERDUE,
    PURPOSE_REMINDER,
    OfficeDigest,
    OutboundMessage,
    PendingItem,
    RoundRequest,
    TextMessage,
)
from handlers.replies import item_label

MAX_LISTED = 20

_REQUEST_HEADS = {
    PURPOSE_REMINDER: "【リマインド】",
    PURPOSE_OVERDUE: "【締切を過ぎています】",
}


def _items(pending: tuple[PendingItem, ...], indent: str = "") -> list[str]:
    lines = []
    for item in pending[:MAX_LISTED]:
        before = f"（前年 {item.previous_grade}）" if item.previous_grade else ""
        lines.append(f"{indent}{item_label(item.number, item.display)}{before}")
    if len(pending) > MAX_LISTED:
        lines.append(f"{indent}…ほか{len(pending) - MAX_LISTED}件")
    return lines


def render_request(message: RoundRequest) -> str:
    head = _REQUEST_HEADS.get(message.purpose, "")
    lines = [
        f"{head}{message.department_name}の皆さま",
        f"{message.round_label} {message.plan_name} の進捗報告をお願いします。",
        f"締切 {message.deadline:%Y-%m-%d}、担当 {message.total_items}件・"
        f"未回答 {len(message.pending)}件",
        *_items(message.pending),
        f"回答は「項目番号 達成度 コメント」（達成度 {'／'.join(message.grades)}）の形で送ってください。",
    ]
    return "\n".join(lines)


def render_digest(message: OfficeDigest) -> str:
    percent = round(100 * message.submitted / message.total, 1) if message.total else 0.0
    lines = [
        f"{message.round_label} {message.plan_name}（締切 {message.deadline:%Y-%m-%d}）",
        f"回答 {message.submitted}/{message.total}件（{percent:g}%）",
    ]
    if message.overdue:
        lines.append("未回答のある担当課:")
        for line in message.overdue:
            lines.append(f"・{line.department_name}（{len(line.pending)}件）")
            lines.extend(_items(line.pending, indent="  "))
    return "\n".join(lines)


def render_text(message: TextMessage) -> str:
    return message.text


_RENDERERS: dict[type[Any], Callable[[Any], str]] = {
    RoundRequest: render_request,
    OfficeDigest: render_digest,
    TextMessage: render_text,
}


def render_message(message: OutboundMessage) -> str:
    """The plain text of any outbound message."""
    return _RENDERERS[type(message)](message)
