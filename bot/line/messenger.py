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
from handlers.i18n import DEFAULT_LANGUAGE, translator
from handlers.ports import OfficeDigest, OutboundMessage, RoundRequest, Target


@lru_cache(maxsize=256)
def _cached(message: RoundRequest | OfficeDigest, language: str) -> list[dict[str, Any]]:
    return flex.outbound(translator(language), message)


def render(message: OutboundMessage, language: str) -> list[dict[str, Any]]:
    """Messaging API JSON for one outbound message (at most 5 messages, LINE's limit).

    Requests and digests are cached per language: every target of a department gets the
    same message object in a fan-out, so it is built once. The result is shared: callers
    must not change it.
    """
    if isinstance(message, RoundRequest | OfficeDigest):
        return _cached(message, language)
    return flex.outbound(translator(language), message)


class LineMessenger:
    """Messenger for LINE (push API). Raises handlers.ports.DeliveryError on failure."""

    platform = "line"

    def __init__(self, client: LineClient, *, language: str = DEFAULT_LANGUAGE) -> None:
        self._client = client
        self._language = language  # HOKOKU_LANGUAGE: for targets that chose none

    @classmethod
    def from_settings(cls, settings: Settings) -> LineMessenger:
        return cls(LineClient.from_settings(settings), language=settings.language)

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        self._client.push(
            target.external_id, render(message, target.language or self._language), key=key
        )

    async def send_async(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        """`send` on the running event loop (the outbox keeps many pushes in flight)."""
        await self._client.push_async(
            target.external_id, render(message, target.language or self._language), key=key
        )

    async def aclose(self) -> None:
        await self._client.aclose()
