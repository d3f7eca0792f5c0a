"""The web console's routes under `/web/`, mounted by `bot.server.build_app` whatever
chat platforms are configured (an office may run on the web and e-mail alone).

Every page but the sign-in page and the static files needs a session (`bot.web.console`);
the office's pages are refused to a department's member.
"""

from __future__ import annotations

import hashlib
import logging
import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.runtime import Runtime
from bot.web import console as plumbing
from bot.web.console import Console
from bot.web.pages import (
    audit,
    dashboard,
    departments,
    downloads,
    forms,
    plans,
    remind,
    rounds,
    settings,
    signin,
)
from bot.web.render import STATIC, Templates
from bot.web.security import CookieKeys

_SIGN_IN_URL = re.compile(r"(/web/signin/)[^\s/?#\"]+")


class HideSignInTokens(logging.Filter):
    """Access log lines show `/web/signin/…`, never a link's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SIGN_IN_URL.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _SIGN_IN_URL.sub(r"\1…", record.msg)
        return True


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def web_routes(runtime: Runtime) -> list[BaseRoute]:
    """`/web/…`: the console's pages, its sign-in link and its static files."""
    logging.getLogger("uvicorn.access").addFilter(HideSignInTokens())
    console = Console(
        runtime=runtime,
        keys=CookieKeys.from_settings(runtime.settings),
        templates=Templates(timezone=runtime.settings.timezone, version=_static_version()),
    )
    upload = runtime.settings.max_upload_bytes

    def get(path: str, function: plumbing.Page, *, office: bool = False) -> Route:
        return Route(path, plumbing.page(console, function, office=office), methods=["GET"])

    def post(
        path: str,
        function: plumbing.Page,
        *,
        office: bool = False,
        limit: int | None = None,
        files: int = 1,
    ) -> Route:
        endpoint = plumbing.page(console, function, office=office, upload_limit=limit, files=files)
        return Route(path, endpoint, methods=["POST"])

    async def bare(_request: Request) -> Response:
        return RedirectResponse("/web/", status_code=307)

    routes: list[BaseRoute] = [
        Route("/web", bare, methods=["GET"]),
        get("/web/", dashboard.home),
        get("/web/live", dashboard.live, office=True),
        get("/web/stamp", dashboard.stamp, office=True),
        get("/web/charts/{kind}.png", dashboard.chart, office=True),
        get("/web/departments", departments.listing, office=True),
        get("/web/departments/{department_id}", departments.show),
        post("/web/departments/{department_id}/answers", departments.answer),
        get("/web/plans", plans.plans, office=True),
        post("/web/plans/preview", plans.preview, office=True, limit=upload),
        post("/web/plans/confirm", plans.confirm, office=True),
        get("/web/rounds", rounds.rounds, office=True),
        post("/web/rounds/open", rounds.open_new, office=True),
        post("/web/rounds/{round_id}/close", rounds.close, office=True),
        post("/web/rounds/{round_id}/reopen", rounds.reopen, office=True),
        post("/web/rounds/{round_id}/deadline", rounds.move_deadline, office=True),
        get("/web/remind", remind.page, office=True),
        post("/web/remind", remind.send, office=True),
        get("/web/downloads", downloads.page, office=True),
        get("/web/downloads/handout.xlsx", downloads.handout, office=True),
        get("/web/downloads/table.csv", downloads.table_csv, office=True),
        get("/web/downloads/forms.zip", forms.forms_zip, office=True),
        post("/web/forms/collect", forms.collect, office=True, limit=upload, files=forms.MAX_FILES),
        get("/web/downloads/handout.pdf", downloads.handout_pdf, office=True),
        get("/web/audit", audit.page, office=True),
        get("/web/settings", settings.page, office=True),
        Route("/web/signin/{token}", signin.sign_in_page(console), methods=["GET"]),
        Route("/web/signin", signin.sign_in(console), methods=["POST"]),
        post("/web/signout", signin.sign_out_page),
        post("/web/language", signin.choose_language),
        Mount("/web/static", app=StaticFiles(directory=STATIC), name="web-static"),
    ]
    return routes
