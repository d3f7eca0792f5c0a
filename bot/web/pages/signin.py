"""Signing in with a link, signing out, and the reader's language.

Opening a link (GET) only shows a button: link checkers in mail and chat programs open
URLs on their own, and must not use up a one-time link. The button POSTs the token with
the sign-in page's double-submit CSRF value; the link is checked and used then, and a
failed link is counted and audited (`handlers.organization.web_access.redeem_link`).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.http_body import BadBody
from bot.web.console import Console, Web, read_form, secured
from bot.web.security import CSRF_FIELD, PRE_COOKIE
from handlers.errors import HokokuError, RoundClosed, TooManyAttempts
from handlers.i18n import Message, Translator, msg, normalize_language, translator
from handlers.organization.web_access import (
    LinkPreview,
    StartedSession,
    preview_link,
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


def _preview(console: Console, token: str) -> LinkPreview | None:
    with transaction(console.runtime.reader) as session:
        return preview_link(session, token=token, organization_id=console.runtime.organization_id)


def _words_of(link: LinkPreview | None, default: Translator) -> Translator:
    """The language the link was made for (the page and its refusals speak it)."""
    return translator(link.language) if link is not None and link.language else default


def sign_in_page(console: Console):  # type: ignore[no-untyped-def]
    """GET /web/signin/{token}: the button, in the language the link was made for (an
    e-mailed answer link says whose answer page it opens and until when)."""
    settings = console.runtime.settings
    zone = ZoneInfo(settings.timezone)

    async def endpoint(request: Request) -> Response:
        token = request.path_params["token"]
        t = translator(settings.language)
        if not well_formed(token):
            return console.problem(t, msg("web.link_unknown"), status=404)
        try:
            link = await run_in_threadpool(_preview, console, token)
        except (DatabaseBusy, DatabaseUnavailable):
            return console.problem(t, msg("web.busy"), status=503)
        t = _words_of(link, t)
        value = secrets.token_urlsafe(16)
        if link is not None and link.answer_link:
            # The last day it opens, in the office's time zone (it stops at that midnight).
            last = (link.expires_at - timedelta(seconds=1)).astimezone(zone).date()
            words: dict[str, Any] = {
                "title": t("web.signin.answer_title", department=link.department_name),
                "explain": t(
                    "web.signin.answer_explain",
                    department=link.department_name,
                    until=t.date(last),
                ),
                "button": t("web.signin.answer_button"),
            }
        else:
            words = {
                "title": t("web.signin.title"),
                "explain": t("web.signin.explain"),
                "button": t("web.signin.button"),
            }
        response = console.render(t, "signin.html", token=token, csrf=value, **words)
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

        organization_id = console.runtime.organization_id

        def work(session: Session) -> StartedSession | tuple[HokokuError, LinkPreview | None]:
            try:
                return redeem_link(
                    session,
                    token=token,
                    client=client,
                    now=now,
                    organization_id=organization_id,
                )
            except HokokuError as exc:  # committed all the same: the failure is counted
                return exc, preview_link(session, token=token, organization_id=organization_id)

        try:
            started = await run_in_threadpool(run_transaction, console.runtime.factory, work)
        except (DatabaseBusy, DatabaseUnavailable):
            return console.problem(t, msg("web.busy"), status=503)
        if isinstance(started, tuple):
            refusal, link = started
            # In the language the link was made for; an answer link's reader is told where
            # a working link comes from (the office's mails), not the chat's `web` command.
            reader = _words_of(link, t)
            hint = reader("web.answer_link.how") if link is not None and link.answer_link else None
            return console.problem(reader, refusal.msg, status=_status(refusal), hint=hint)
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


def _status(refusal: HokokuError) -> int:
    if isinstance(refusal, TooManyAttempts):
        return 429
    return 409 if isinstance(refusal, RoundClosed) else 400


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
