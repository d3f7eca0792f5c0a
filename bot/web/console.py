"""The request plumbing every page shares: who is signed in, CSRF, bounded forms, errors.

A page is a plain function `(Web) -> Response` that runs in a worker thread (it talks to
the database); `page(...)` wraps it into a Starlette endpoint that

1. finds the session of the signed cookie (nothing is shown without one: a 401 page that
   says how to get a link, with no round data, names or counts);
2. refuses the office's pages to a department's member (403);
3. for a POST, reads the body up to a limit (413 past it), parses the form (400 when it
   cannot be read) and checks the CSRF token (403) before the page runs;
4. turns a user's mistake (`HokokuError`) into the page's message in the reader's language
   with a 4xx status, and a busy or unreachable database into a 503;
5. restarts the session's idle clock (at most every few minutes: a write), and adds the
   security headers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.http_body import BadBody, read_limited
from bot.messengers import build_messengers, calendar_from_settings
from bot.runtime import Runtime
from bot.web.render import Templates
from bot.web.security import CSRF_FIELD, FLASH_COOKIE, SESSION_COOKIE, CookieKeys
from handlers.errors import (
    HokokuError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RoundClosed,
    TooManyAttempts,
)
from handlers.i18n import Message, Translator, msg, translator
from handlers.interaction.access import Caller, signed_in
from handlers.organization.web_access import WebCaller, find_session, touch
from handlers.ports import Messenger
from models import utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, transaction
from scheduler.calendar import BusinessCalendar

logger = logging.getLogger("hokoku.web")

FORM_LIMIT = 1024 * 1024  # a department's answer form with 100 long comments stays below
MAX_FIELD = 10_000  # characters of any one text field kept (comments stop at 3,000)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
STATUS = {
    NotFound: 404,
    PermissionDenied: 403,
    RoundClosed: 409,
    TooManyAttempts: 429,
    InvalidInput: 400,
}


def status_of(exc: HokokuError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


@dataclass
class Console:
    """What every request of the console shares (one per server)."""

    runtime: Runtime
    keys: CookieKeys
    templates: Templates

    @cached_property
    def messengers(self) -> dict[str, Messenger]:
        """Every configured platform's messenger ("remind now"), built on first use."""
        return build_messengers(self.runtime.settings, factory=self.runtime.factory)

    @cached_property
    def calendar(self) -> BusinessCalendar:
        """The office's business calendar from the settings, read on first use. A setting it
        cannot read raises InvalidValue, which the page shows in the reader's language."""
        return calendar_from_settings(self.runtime.settings)

    def render(
        self,
        t: Translator,
        template: str,
        *,
        status: int = 200,
        web: Web | None = None,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        html = self.templates.render(template, t=t, web=web, **context)
        return secured(HTMLResponse(html, status_code=status, headers=dict(headers or {})))

    def problem(
        self,
        t: Translator,
        message: Message,
        *,
        status: int,
        web: Web | None = None,
        hint: str | None = None,
    ) -> HTMLResponse:
        """The problem page; `hint` replaces how to sign in (an answer link's reader)."""
        return self.render(t, "problem.html", status=status, web=web, message=message, hint=hint)


R = TypeVar("R", bound=Response)


def secured(response: R) -> R:
    """Security headers; pages hold data, so no cache keeps them."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@dataclass
class Web:
    """One request of a signed-in person, as a page function sees it."""

    console: Console
    request: Request
    caller: WebCaller
    token: str
    now: datetime
    form: FormData | None = None
    flash: tuple[str, list[str]] | None = None
    signed_out: bool = False  # the page ended the session: its cookie is not set again

    @property
    def runtime(self) -> Runtime:
        return self.console.runtime

    @property
    def organization_id(self) -> int:
        return self.runtime.organization_id

    @cached_property
    def today(self) -> date:
        return self.runtime.today()

    @cached_property
    def language(self) -> str:
        return self.caller.language or self.runtime.settings.language

    @cached_property
    def t(self) -> Translator:
        return translator(self.language)

    @cached_property
    def access(self) -> Caller:
        """The interaction layer's view of this person (its access rules decide)."""
        return signed_in(
            department_id=self.caller.department_id,
            department_name=self.caller.department_name,
            role=self.caller.role,
            language=self.caller.language,
        )

    @property
    def office(self) -> bool:
        return self.caller.is_office

    @cached_property
    def csrf(self) -> str:
        return self.console.keys.csrf_for(self.token)

    # --- what was sent ----------------------------------------------------------------

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)[:MAX_FIELD]

    def field(self, name: str, default: str = "") -> str:
        """A text field of the POSTed form ('' when absent or a file)."""
        value = self.form.get(name) if self.form is not None else None
        return value[:MAX_FIELD] if isinstance(value, str) else default

    def upload(self, name: str) -> UploadFile | None:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) else None

    def fields(self) -> list[tuple[str, str]]:
        if self.form is None:
            return []
        return [(k, v[:MAX_FIELD]) for k, v in self.form.multi_items() if isinstance(v, str)]

    # --- answers ------------------------------------------------------------------------

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        return self.console.render(self.t, template, status=status, web=self, **context)

    def redirect(
        self, path: str, *, flash: list[str] | None = None, kind: str = "ok", **query: Any
    ) -> Response:
        wanted = {k: v for k, v in query.items() if v not in (None, "")}
        url = path + (f"?{urlencode(wanted)}" if wanted else "")
        response = RedirectResponse(url, status_code=303)
        if flash:
            self.console.keys.flash(response, flash, kind=kind)
        return response

    def problem(self, message: Message, *, status: int) -> HTMLResponse:
        return self.console.problem(self.t, message, status=status, web=self)


Page = Callable[[Web], Response]


def _find(console: Console, token: str, now: datetime) -> WebCaller | None:
    with transaction(console.runtime.reader) as session:
        return find_session(session, token=token, now=now)


def _touch(console: Console, caller: WebCaller, now: datetime) -> None:
    try:
        with transaction(console.runtime.factory) as session:
            touch(session, session_id=caller.session_id, now=now)
    except (DatabaseBusy, DatabaseUnavailable) as exc:  # next request tries again
        logger.info("session %s not touched: %s", caller.session_id, exc)


async def read_form(request: Request, *, limit: int, files: int) -> FormData:
    """The POSTed form, at most `limit` bytes (BadBody 413) and readable (BadBody 400)."""
    body = await read_limited(request, limit)
    request._body = body  # Starlette parses the form from the body read here
    try:
        form = await request.form(max_files=files, max_fields=2000, max_part_size=FORM_LIMIT)
    except (MultiPartException, ValueError, KeyError, UnicodeError, AssertionError):
        raise BadBody(400, "form cannot be read") from None
    return form


def page(
    console: Console,
    function: Page,
    *,
    office: bool = False,
    upload_limit: int | None = None,
    files: int = 1,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint around a page function (see the module's docstring)."""
    settings = console.runtime.settings
    plain = translator(settings.language)

    async def endpoint(request: Request) -> Response:
        now = utcnow()
        token = console.keys.session_token(request.cookies.get(SESSION_COOKIE))
        try:
            caller = await run_in_threadpool(_find, console, token, now) if token else None
        except (DatabaseBusy, DatabaseUnavailable):
            return console.problem(plain, msg("web.busy"), status=503)
        if caller is None or token is None:
            refused = console.render(plain, "signed_out.html", status=401)
            if request.cookies.get(SESSION_COOKIE):
                console.keys.clear_session(refused)
            return refused
        web = Web(console, request, caller, token, now)
        if office and not caller.is_office:
            return web.problem(msg("access.office_only"), status=403)
        if request.method == "POST":
            try:
                limit = upload_limit + 64 * 1024 if upload_limit else FORM_LIMIT
                web.form = await read_form(request, limit=limit, files=files if upload_limit else 0)
            except BadBody as exc:
                problem = "web.too_large" if exc.status == 413 else "web.bad_form"
                return web.problem(msg(problem), status=exc.status)
            if not console.keys.csrf_ok(token, web.field(CSRF_FIELD)):
                return web.problem(msg("web.csrf"), status=403)
        else:
            web.flash = console.keys.read_flash(request.cookies.get(FLASH_COOKIE))
        response: Response
        try:
            response = await run_in_threadpool(function, web)
        except HokokuError as exc:
            response = web.problem(exc.msg, status=status_of(exc))
        except (DatabaseBusy, DatabaseUnavailable):
            response = web.problem(msg("web.busy"), status=503)
        finally:
            if web.form is not None:
                await web.form.close()
        if web.flash is not None:
            console.keys.clear_flash(response)
        if caller.due_for_touch(now) and not web.signed_out:
            await run_in_threadpool(_touch, console, caller, now)
            console.keys.set_session(response, token)
        return secured(response)

    return endpoint
