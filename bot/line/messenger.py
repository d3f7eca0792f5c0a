"""The LINE implementation of the outbound port (handlers.ports.Messenger): push messages.

Requests become a text intro plus a Flex carousel of pending items (with 次へ when more
than 12 remain); digests and plain texts become text. Retried sends of the same `key`
carry the same X-Line-Retry-Key, so LINE delivers them once.
"""

from __future__ import annotations

from bot.line import flex
from bot.line.client import LineClient
from bot.settings import Settings
from handlers.i18n import DEFAULT_LANGUAGE, translator
from handlers.ports import OutboundMessage, Target


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
        t = translator(target.language or self._language)
        self._client.push(target.external_id, flex.outbound(t, message), key=key)
