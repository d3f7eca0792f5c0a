"""The Messaging API through line-bot-sdk v3: reply (free, with a reply token) and push.

Push carries `X-Line-Retry-Key`, a UUID derived from our own message key, so a retried push
(after a timeout or a crash) is accepted by LINE at most once; LINE answers a repeated key
with 409, which means "already delivered" and counts as success here.

Pushes go through bot.line.push (the SDK's aiohttp client on a loop of its own).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from urllib3.exceptions import HTTPError as TransportError

from bot.line.push import Pusher
from bot.settings import Settings
from handlers.ports import DeliveryError

if TYPE_CHECKING:
    # The SDK's messaging models take tens of MiB: imported at the first reply, not at start.
    from linebot.v3.messaging import Configuration, Message

logger = logging.getLogger(__name__)

# Fixed namespace: the same message key always gives the same retry key, in every process.
RETRY_KEY_NAMESPACE = uuid.UUID("6f1c9a52-3a0e-4d7b-9f43-2d7c1b8e5a10")
PERMANENT_STATUSES = frozenset({400, 403, 404})
ALREADY_ACCEPTED = 409
DEFAULT_CONNECTIONS = 100  # kept-alive connections to LINE (HOKOKU_SEND_WORKERS)


def retry_key(key: str) -> str:
    """The X-Line-Retry-Key for one of our message keys (uuid5, deterministic)."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, key))


def to_sdk(messages: Sequence[dict[str, Any]]) -> list[Message]:
    """Messaging API JSON (from bot.line.flex) → SDK models; validates the payload."""
    from linebot.v3.messaging import Message

    return [Message.from_dict(message) for message in messages]


class LineClient:
    def __init__(
        self, *, access_token: str, api_url: str, connections: int = DEFAULT_CONNECTIONS
    ) -> None:
        self._host = api_url.rstrip("/")
        self._access_token = access_token
        self._connections = connections
        self._pusher = Pusher(
            host=self._host,
            access_token=access_token,
            connections=connections,
            on_error=push_error,
            retry_key=retry_key,
        )

    @cached_property
    def _configuration(self) -> Configuration:
        from linebot.v3.messaging import Configuration

        configuration = Configuration(host=self._host, access_token=self._access_token)
        configuration.connection_pool_maxsize = self._connections
        return configuration

    @classmethod
    def from_settings(cls, settings: Settings) -> LineClient:
        if settings.line_channel_access_token is None:
            raise ValueError("LINE_CHANNEL_ACCESS_TOKEN is not set")
        return cls(
            access_token=settings.line_channel_access_token.get_secret_value(),
            api_url=settings.line_api_url,
            connections=settings.send_workers,
        )

    def reply(self, reply_token: str, messages: Sequence[dict[str, Any]]) -> bool:
        """Reply to an event. A failed reply is logged (the token expires; nothing to retry)."""
        from linebot.v3.messaging import ApiClient, ApiException, MessagingApi, ReplyMessageRequest

        request = ReplyMessageRequest(reply_token=reply_token, messages=to_sdk(messages))
        try:
            with ApiClient(self._configuration) as api_client:
                MessagingApi(api_client).reply_message(request)
        except ApiException as exc:
            logger.warning("LINE reply failed: HTTP %s %s", exc.status, exc.reason)
            return False
        except TransportError as exc:
            logger.warning("LINE reply failed: %s", exc)
            return False
        return True

    def push(self, to: str, messages: Sequence[dict[str, Any]], *, key: str) -> None:
        """Push to a user/group/room; raises DeliveryError (permanent or with retry_after)."""
        self._pusher.push(to, messages, key=key)

    async def push_async(self, to: str, messages: Sequence[dict[str, Any]], *, key: str) -> None:
        """`push` on the running event loop (the outbox keeps many in flight)."""
        await self._pusher.push_async(to, messages, key=key)

    async def aclose(self) -> None:
        await self._pusher.aclose()


def push_error(status: int, headers: Mapping[str, str], key: str) -> DeliveryError | None:
    """What a refused push means for the outbox; None: LINE already took this key (409)."""
    if status == ALREADY_ACCEPTED:
        logger.info("LINE push %s already accepted earlier (409)", key)
        return None
    if status == 429:
        return DeliveryError("LINE rate limit (429)", retry_after=_retry_after(headers))
    if status in PERMANENT_STATUSES:
        return DeliveryError(
            f"LINE refused the push (HTTP {status}): the user blocked the bot, "
            "left the group, or the id is unknown",
            permanent=True,
        )
    return DeliveryError(f"LINE push failed (HTTP {status})")


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
