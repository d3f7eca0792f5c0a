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
    Unreachable,
)
from handlers.replies import item_label

MAX_LISTED = 20
MAX_DEPARTMENTS_LISTED = 10

PLATFORM_LABELS = {"slack": "Slack", "line": "LINE", "console": "コンソール"}
# What switches a platform on (README "Settings"); named when it is missing.
PLATFORM_SETTINGS = {
    "slack": "SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET",
    "line": "LINE_CHANNEL_SECRET/LINE_CHANNEL_ACCESS_TOKEN",
}

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
    lines.extend(unreachable_line(entry) for entry in message.unreachable)
    return "\n".join(lines)


def _departments(names: tuple[str, ...]) -> str:
    listed = "、".join(names[:MAX_DEPARTMENTS_LISTED])
    more = len(names) - MAX_DEPARTMENTS_LISTED
    return f"{listed}ほか{more}課" if more > 0 else listed


def _configure(platform: str) -> str:
    setting = PLATFORM_SETTINGS.get(platform)
    return f"{setting} を設定してください" if setting else f"{platform} の設定を確認してください"


def unconfigured_notice(
    platform: str, *, count: int, departments: tuple[str, ...], linked: bool = False
) -> str:
    """Why targets on a platform that is not configured get nothing, and what to set.

    `linked`: `count` is linked targets (start-up, schedule), else messages held.
    """
    label = PLATFORM_LABELS.get(platform, platform)
    if linked:
        return (
            f"{label} が未設定のため、連携済みの {count} 件（{_departments(departments)}）に"
            f"送れません（{_configure(platform)}）。"
        )
    return (
        f"{label} が未設定のため {count} 件送れません（{_configure(platform)}）: "
        f"{_departments(departments)}。設定後の次の確認（hokoku remind / スケジューラー）で送ります。"
    )


def unreachable_line(entry: Unreachable) -> str:
    """The digest's line for departments that only a platform not configured reaches."""
    label = PLATFORM_LABELS.get(entry.platform, entry.platform)
    return (
        f"{label} が未設定のため依頼が届かない担当課: {_departments(entry.departments)}"
        f"（{_configure(entry.platform)}）"
    )


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
