"""LINE pushes over aiohttp (line-bot-sdk's own asynchronous transport).

A fan-out keeps up to HOKOKU_SEND_WORKERS pushes in flight. On the outbox's event loop,
with kept-alive connections, they cost a fraction of the CPU of a blocked thread per push
and never fight the outbox for the GIL. `push_async` sends on the running loop (one
session per loop, closed by `aclose`); `push` is the blocking form for single sends.

Why not the SDK's MessagingApi / AsyncMessagingApi: the typed `PushMessageRequest` round
trip (pydantic models in and out) costs about 4 ms of CPU per push, and the SDK's aiohttp
session (`trust_env=True`) looks the proxy settings up in a thread for every request.
Here the body is the Messaging API JSON of bot.line.flex as it is (checked against the
SDK models by tests/bot/line/test_flex.py and against LINE's limits by the fake API), and
the proxy (HTTPS_PROXY / NO_PROXY) is looked up once. Neither the SDK nor aiohttp is
imported until the first push: an idle `hokoku serve` does not hold them.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from handlers.ports import DeliveryError

if TYPE_CHECKING:
    import aiohttp

PUSH_PATH = "/v2/bot/message/push"
PUSH_TIMEOUT = 30.0  # seconds; a hung connection must not hold a send slot forever
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})  # never through a proxy


def proxy_for(url: str, configured: str | None) -> str | None:
    """The SDK Configuration's proxy, else the environment's for this URL (NO_PROXY honoured).

    Never for this machine itself (the local fake API in tests and benchmarks).
    """
    if configured:
        return configured
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in LOOPBACK or urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(parts.scheme) or None


class Pusher:
    """Pushes for one channel access token."""

    def __init__(
        self,
        *,
        host: str,
        access_token: str,
        connections: int,
        on_error: Callable[[int, Mapping[str, str], str], DeliveryError | None],
        retry_key: Callable[[str], str],
    ) -> None:
        self._connections = connections
        self._url = host + PUSH_PATH
        self._proxy = proxy_for(self._url, None)
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "Content-Type": "application/json",
        }
        self._on_error = on_error
        self._retry_key = retry_key
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    def _session(self) -> aiohttp.ClientSession:
        """The running loop's session (aiohttp sessions belong to the loop they were made on)."""
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None:
            import aiohttp

            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._connections, ssl=ssl.create_default_context()
                ),
                timeout=aiohttp.ClientTimeout(total=PUSH_TIMEOUT),
            )
            self._sessions[loop] = session
        return session

    async def push_async(self, to: str, messages: Sequence[dict[str, Any]], *, key: str) -> None:
        """Push on the running loop; raises DeliveryError (permanent or with retry_after)."""
        import aiohttp

        body = json.dumps({"to": to, "messages": list(messages)}, ensure_ascii=False).encode()
        headers = {**self._headers, "X-Line-Retry-Key": self._retry_key(key)}
        try:
            async with self._session().post(
                self._url, data=body, headers=headers, proxy=self._proxy
            ) as response:
                await response.read()
                status, answer_headers = response.status, dict(response.headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"LINE push failed: {exc or type(exc).__name__}") from exc
        if not 200 <= status <= 299:
            error = self._on_error(status, answer_headers, key)
            if error is not None:
                raise error

    async def aclose(self) -> None:
        """Close the running loop's session (its connections)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()

    def push(self, to: str, messages: Sequence[dict[str, Any]], *, key: str) -> None:
        """A single blocking push (on a loop of its own: not for fan-outs)."""

        async def once() -> None:
            try:
                await self.push_async(to, messages, key=key)
            finally:
                await self.aclose()

        asyncio.run(once())
