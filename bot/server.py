"""One ASGI app for every platform: `POST /slack/events`, `POST /line/callback`, `GET /healthz`,
`GET /charts/{token}.png` (published chart images, `bot.charts`) and the web console under
`/web/` (`bot.web`).

Each platform adds its routes only when its own settings are present (Slack-only and
LINE-only offices are both normal, and so is an office on the web console alone);
background services (Slack Socket Mode, the scheduler) start and stop with the app's
lifespan.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot import sqlite_upkeep
from bot.charts import chart_routes
from bot.line.webhook import line_configured, line_routes
from bot.platforms import configured_platforms, report_unconfigured
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.reply_process import ReplyProcess
from bot.web.app import web_routes
from models.db import reachable

logger = logging.getLogger(__name__)


class BackgroundService(Protocol):
    """Something that runs beside the HTTP routes (Socket Mode client, scheduler)."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


@runtime_checkable
class ReportsHealth(Protocol):
    """A background service that tells `/healthz` how it is doing (the scheduler)."""

    name: str

    def health(self) -> dict[str, object]: ...


@dataclass
class Platforms:
    """What `build_app` mounts; filled by `configure_platforms` from the settings."""

    routes: list[BaseRoute] = field(default_factory=list)
    services: list[BackgroundService] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def socket_mode_wanted(settings: Settings, *, requested: bool) -> bool:
    """Socket Mode when asked for (`--socket-mode`) or when an app-level token is configured."""
    return requested or settings.slack_app_token is not None


class SlackSocketMode:
    """Slack over Socket Mode (no public URL): bolt's built-in websocket client.

    `start` asks `apps.connections.open` (with the app-level token) for a websocket URL
    and connects; each envelope is acked with its envelope_id (the ack's payload is what
    an HTTP response body would have been), also one no listener handles
    (bot.slack.socket_mode), and the client reconnects on `disconnect`.
    """

    name = "slack-socket-mode"

    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        *,
        listener_executor: Executor | None = None,
        reply_process: ReplyProcess | None = None,
    ) -> None:
        from bot.slack.app import build_slack_app
        from bot.slack.socket_mode import AckingSocketModeHandler

        assert settings.slack_app_token is not None
        self.handler = AckingSocketModeHandler(
            build_slack_app(
                settings, runtime, listener_executor=listener_executor, reply_process=reply_process
            ),
            settings.slack_app_token.get_secret_value(),
        )

    def start(self) -> None:
        self.handler.connect()

    def stop(self) -> None:
        self.handler.close()


def configure_platforms(
    settings: Settings,
    runtime: Runtime,
    *,
    socket_mode: bool = False,
    slack_executor: Executor | None = None,
) -> Platforms:
    """Switch each platform on by its own settings (Slack-only and LINE-only are both normal)."""
    platforms = Platforms()
    # Slack: HTTP (Events API at /slack/events) or Socket Mode.
    if settings.slack_bot_token is not None or settings.slack_signing_secret is not None:
        # Plain replies posted by a process of their own (bot.slack.reply_process); it
        # starts before, and stops after, the Slack client that feeds it.
        replies = None
        if settings.slack_reply_process and settings.slack_bot_token is not None:
            replies = ReplyProcess(settings)
            platforms.services.append(replies)
        if socket_mode:
            platforms.services.append(
                SlackSocketMode(
                    settings, runtime, listener_executor=slack_executor, reply_process=replies
                )
            )
            platforms.names.append("slack (socket mode)")
        else:
            from bot.slack.http import slack_http_routes

            platforms.routes.extend(
                slack_http_routes(
                    settings, runtime, listener_executor=slack_executor, reply_process=replies
                )
            )
            platforms.names.append("slack")
    # LINE: `POST /line/callback` (Messaging API webhook).
    if line_configured(settings):
        platforms.routes.extend(line_routes(settings, runtime))
        platforms.names.append("line")
    # E-mail: outbound only (the scheduler sends), no route; enough for `serve` to run.
    if "email" in configured_platforms(settings):
        platforms.names.append("email")
    return platforms


def build_app(
    settings: Settings,
    runtime: Runtime,
    *,
    platforms: Platforms | None = None,
    extra_services: Sequence[BackgroundService] = (),
) -> Starlette:
    """The ASGI app: platform routes + `/healthz`, services tied to the lifespan."""
    mounted = platforms if platforms is not None else configure_platforms(settings, runtime)
    services = [*mounted.services, *extra_services]
    if sqlite_upkeep.wanted(runtime.engine):
        services.append(sqlite_upkeep.SqliteUpkeep(runtime.engine))

    def database_ok() -> bool:
        return reachable(runtime.engine)

    async def healthz(_request: Request) -> Response:
        if not await run_in_threadpool(database_ok):
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        # `pid`: which process answered (`hokoku serve --workers N`, replicas).
        body: dict[str, object] = {"ok": True, "platforms": mounted.names, "pid": os.getpid()}
        for service in services:
            if isinstance(service, ReportsHealth):
                body[service.name] = service.health()
        return JSONResponse(body)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(report_unconfigured, runtime)  # one warning per platform
        for service in services:
            logger.info("starting %s", service.name)
            service.start()
        try:
            yield
        finally:
            for service in reversed(services):
                service.stop()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        *chart_routes(runtime),
        *mounted.routes,
        *web_routes(runtime),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
