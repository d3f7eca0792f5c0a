"""The LINE implementation of the outbound port (handlers.ports.Messenger): push messages.

Requests become a text intro plus a Flex carousel of pending items (with 次へ when more
than 12 remain); digests and plain texts become text. Retried sends of the same `key`
carry the same X-Line-Retry-Key, so LINE delivers them once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.line import flex
from bot.line.client import LineClient
from bot.settings import Settings
from handlers.outbound_text import unreachable_line
from handlers.ports import (
    PURPOSE_REQUEST,
    OfficeDigest,
    OutboundMessage,
    RoundRequest,
    Target,
)


@lru_cache(maxsize=256)
def render(message: OutboundMessage) -> list[dict[str, Any]]:
    """Messaging API JSON for one outbound message (at most 5 messages, LINE's limit).

    Cached: every target of a department gets the same message object in a fan-out, so
    it is built once. The result is shared: callers must not change it.
    """
    if isinstance(message, RoundRequest):
        return render_request(message)
    if isinstance(message, OfficeDigest):
        return flex.texts(render_digest(message))
    return flex.texts(message.text)


def render_request(request: RoundRequest) -> list[dict[str, Any]]:
    intro = flex.request_intro(
        round_label=request.round_label,
        plan_name=request.plan_name,
        department_name=request.department_name,
        deadline=request.deadline,
        total=request.total_items,
        pending=len(request.pending),
        reminder=request.purpose != PURPOSE_REQUEST,
    )
    page = flex.item_page(
        request.pending,
        round_id=request.round_id,
        department_id=request.department_id,
        grades=[(letter, "") for letter in request.grades],
        heading=f"{request.round_label} 未回答の項目",
    )
    return [intro, *page]


def render_digest(digest: OfficeDigest) -> str:
    percent = round(100 * digest.submitted / digest.total) if digest.total else 100
    lines = [
        f"{digest.round_label} {digest.plan_name} 回答状況",
        f"回答 {digest.submitted} / {digest.total}（{percent}%）"
        f"　締切 {digest.deadline.month}月{digest.deadline.day}日",
    ]
    if digest.overdue:
        lines.append("未回答の担当課:")
        for line in digest.overdue:
            numbers = "、".join(str(item.number) for item in line.pending)
            lines.append(f"・{line.department_name}（{len(line.pending)}件: {numbers}）")
    else:
        lines.append("未回答の担当課はありません。")
    lines.extend(unreachable_line(entry) for entry in digest.unreachable)
    return "\n".join(lines)


class LineMessenger:
    """Messenger for LINE (push API). Raises handlers.ports.DeliveryError on failure."""

    platform = "line"

    def __init__(self, client: LineClient) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> LineMessenger:
        return cls(LineClient.from_settings(settings))

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        self._client.push(target.external_id, render(message), key=key)

    async def send_async(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        """`send` on the running event loop (the outbox keeps many pushes in flight)."""
        await self._client.push_async(target.external_id, render(message), key=key)

    async def aclose(self) -> None:
        await self._client.aclose()
