"""Settings, read-only: which platforms this server can send on, the console's own
settings, and the departments nobody is linked to (they get no request or reminder)."""

from __future__ import annotations

from starlette.responses import Response

from bot.export_pdf import soffice
from bot.platforms import configured_platforms
from bot.web.console import Web
from handlers.organization.departments import department_overview
from models.db import transaction


def page(web: Web) -> Response:
    settings = web.runtime.settings
    with transaction(web.runtime.reader) as session:
        departments = department_overview(session, organization_id=web.organization_id)
    unlinked = [d for d in departments if not d.identities]
    configured = configured_platforms(settings)
    platforms = [
        ("slack", "slack" in configured, settings.slack_app_token is not None),
        ("line", "line" in configured, False),
    ]
    return web.render(
        "settings.html",
        platforms=platforms,
        public_url=settings.public_url,
        secure=web.console.keys.secure,
        secret_set=settings.secret_key is not None,
        pdf=soffice() is not None,
        departments=departments,
        unlinked=unlinked,
        settings=settings,
    )
