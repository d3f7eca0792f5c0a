"""Signing in with a link, signing out, and the reader's language.

Opening a link (GET) only shows a button: link checkers in mail and chat programs open
URLs on their own, and must not use up a one-time link. The button POSTs the token with
the sign-in page's double-submit CSRF value; the link is checked and used then, and a
failed link is counted and audited (`handlers.organization.web_access.redeem_link`).
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.http_body import BadBody
from bot.web.console import Console, Web, read_form, secured
from bot.web.security import CSRF_FIELD, PRE_COOKIE
from handlers.errors import HokokuError
from handlers.i18n import Message, msg, normalize_language, translator
from handlers.organization.web_access import (
    StartedSession,
    redeem_link,
    set_language,
    sign_out,
    well_formed,
)
from models import utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, run_transaction, transaction

SIGN_IN_FORM_LIMIT = 4096


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def sign_in_page(console: Console):  # type: ignore[no-untyped-def]
    t = translator(console.runtime.settings.language)

    async def endpoint(request: Request) -> Response:
        token = request.path_params["token"]
        if not well_formed(token):
            return console.problem(t, msg("web.link_unknown"), status=404)
        value = secrets.token_urlsafe(16)
        response = console.render(t, "signin.html", token=token, csrf=value)
        console.keys.set_pre(response, value)
        return response

    return endpoint


def sign_in(console: Console):  # type: ignore[no-untyped-def]
    """POST /web/signin: use the link, start the session, go to the person's first page."""
    settings = console.runtime.settings
    t = translator(settings.language)

    async def endpoint(request: Request) -> Response:
        try:
            form = await read_form(request, limit=SIGN_IN_FORM_LIMIT, files=0)
        except BadBody as exc:
            return console.problem(t, msg("web.bad_form"), status=exc.status)
        sent = form.get(CSRF_FIELD)
        token = form.get("token")
        expected = console.keys.pre_value(request.cookies.get(PRE_COOKIE))
        if not (expected and isinstance(sent, str) and secrets.compare_digest(sent, expected)):
            return console.problem(t, msg("web.csrf_signin"), status=403)
        if not isinstance(token, str):
            return console.problem(t, msg("web.link_unknown"), status=400)
        now = utcnow()
        client = _client(request)

        def work(session: Session) -> StartedSession | HokokuError:
            try:
                return redeem_link(
                    session,
                    token=token,
                    client=client,
                    now=now,
                    organization_id=console.runtime.organization_id,
                )
            except HokokuError as exc:  # committed all the same: the failure is counted
                return exc

        try:
            started = await run_in_threadpool(run_transaction, console.runtime.factory, work)
        except (DatabaseBusy, DatabaseUnavailable):
            return console.problem(t, msg("web.busy"), status=503)
        if isinstance(started, HokokuError):
            status = 429 if "too_many" in started.msg.id else 400
            return console.problem(t, started.msg, status=status)
        target = (
            "/web/"
            if started.caller.is_office
            else f"/web/departments/{started.caller.department_id}"
        )
        response = secured(RedirectResponse(target, status_code=303))
        console.keys.set_session(response, started.token)
        console.keys.clear_pre(response)
        return response

    return endpoint


def sign_out_page(web: Web) -> Response:
    with transaction(web.runtime.factory) as session:
        sign_out(session, caller=web.caller, now=web.now)
    web.signed_out = True
    response = web.console.render(web.t, "signed_out.html", status=200, done=True)
    web.console.keys.clear_session(response)
    return response


def choose_language(web: Web) -> Response:
    language = normalize_language(web.field("language"))
    if language is None:
        return web.problem(Message("language.usage"), status=400)
    with transaction(web.runtime.factory) as session:
        set_language(session, session_id=web.caller.session_id, language=language)
    back = web.field("back")
    target = back if back.startswith("/web/") and "//" not in back and "\\" not in back else "/web/"
    return RedirectResponse(target, status_code=303)
