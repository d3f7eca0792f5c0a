"""Chart images on the web for the chat adapters: `GET /charts/{token}.png` and the settings
that turn a published chart (`handlers.export.chart_images`) into the absolute HTTPS URL LINE's
image message needs.

The route answers the PNG while its token is valid and 404 otherwise (unknown, malformed or
expired tokens alike, so nothing can be probed), never lists anything, and tells caches to
keep the image privately no longer than it lives. It is mounted whatever platforms are on;
behind the reverse proxy only `/charts/*` (besides the webhooks) is forwarded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.runtime import Runtime
from bot.settings import Settings
from handlers.errors import InvalidInput
from handlers.export.chart_images import PATH_PREFIX, SUFFIX, PublishedPng, published_png
from handlers.i18n import msg
from models import utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, transaction

ROUTE = PATH_PREFIX + "{token}" + SUFFIX
MEDIA_TYPE = "image/png"
NOT_FOUND_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def chart_lifetime(settings: Settings) -> timedelta:
    """How long a published chart stays reachable (HOKOKU_CHART_MINUTES)."""
    return timedelta(minutes=settings.chart_minutes)


def public_url(settings: Settings, path: str) -> str:
    """The absolute URL of a path of this server (HOKOKU_PUBLIC_URL + path), e.g. a chart's
    `url_path` for LINE's originalContentUrl / previewImageUrl."""
    if settings.public_url is None:
        raise InvalidInput(msg("chart.public_url_missing"))
    return settings.public_url + path


def _headers(found: PublishedPng, now: datetime) -> dict[str, str]:
    remaining = max(0, int((found.expires_at - now).total_seconds()))
    return {
        "Cache-Control": f"private, max-age={remaining}",
        "Expires": format_datetime(found.expires_at, usegmt=True),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def chart_routes(runtime: Runtime) -> list[BaseRoute]:
    """`GET` (and `HEAD`) `/charts/{token}.png`."""

    def read(token: str, now: datetime) -> PublishedPng | None:
        with transaction(runtime.reader) as session:
            return published_png(session, token=token, now=now)

    async def chart(request: Request) -> Response:
        now = utcnow()
        try:
            found = await run_in_threadpool(read, request.path_params["token"], now)
        except (DatabaseBusy, DatabaseUnavailable):
            return PlainTextResponse("retry later", status_code=503, headers={"Retry-After": "1"})
        if found is None:
            return PlainTextResponse("Not Found", status_code=404, headers=NOT_FOUND_HEADERS)
        return Response(found.png, media_type=MEDIA_TYPE, headers=_headers(found, now))

    return [Route(ROUTE, chart, methods=["GET", "HEAD"])]
