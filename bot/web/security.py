"""Cookies and CSRF of the web console: signed, HttpOnly, SameSite=Lax, Secure over https.

The session cookie carries the session's random token, signed with HOKOKU_SECRET_KEY
(itsdangerous); the server finds the session by the token's SHA-256 and checks it is live
(`handlers.organization.web_access`), so a signature alone opens nothing.

Every POST carries a CSRF token in a hidden field: for a session, an HMAC of its token
(nothing to store, nothing to expire apart from the session); before signing in, the
double-submit value of a short-lived signed cookie. A flash message survives the redirect
after a POST in a signed cookie that lives a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from bot.settings import Settings
from handlers.organization.web_access import IDLE

logger = logging.getLogger("hokoku.web")

SESSION_COOKIE = "hokoku_session"
PRE_COOKIE = "hokoku_signin"  # the double-submit CSRF value of the sign-in page
FLASH_COOKIE = "hokoku_flash"
COOKIE_PATH = "/web"
CSRF_FIELD = "csrf_token"
PRE_LIFETIME = timedelta(hours=1)
FLASH_LIFETIME = timedelta(minutes=1)
MAX_FLASH = 1500  # characters kept of a flash message (a cookie holds about 4 KB)


@dataclass(frozen=True)
class CookieKeys:
    """Signs and checks the console's cookies and CSRF tokens with one secret."""

    secret: str
    secure: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> CookieKeys:
        if settings.secret_key is None:
            logger.warning(
                "HOKOKU_SECRET_KEY is not set: the web console signs its cookies with a key "
                "made at start-up, so everyone is signed out when the server restarts"
            )
            secret = secrets.token_urlsafe(32)
        else:
            secret = settings.secret_key.get_secret_value()
        public = settings.public_url or ""
        return cls(secret=secret, secure=public.startswith("https://"))

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=f"hokoku-web-{purpose}")

    def _read(self, purpose: str, value: str | None, max_age: timedelta) -> object | None:
        if not value or len(value) > 4096:
            return None
        try:
            return self._serializer(purpose).loads(value, max_age=int(max_age.total_seconds()))
        except (BadSignature, ValueError, UnicodeError):
            return None

    def _set(self, response: Response, name: str, value: str, max_age: timedelta | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=int(max_age.total_seconds()) if max_age else None,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def _clear(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path=COOKIE_PATH, httponly=True, samesite="lax", secure=self.secure
        )

    # --- the session --------------------------------------------------------------------

    def session_token(self, cookie: str | None) -> str | None:
        """The session token in a cookie whose signature holds (and is not older than IDLE
        since it was last set), else None."""
        value = self._read("session", cookie, IDLE)
        return value if isinstance(value, str) else None

    def set_session(self, response: Response, token: str) -> None:
        self._set(response, SESSION_COOKIE, self._serializer("session").dumps(token), IDLE)

    def clear_session(self, response: Response) -> None:
        self._clear(response, SESSION_COOKIE)

    def csrf_for(self, session_token: str) -> str:
        return hmac.new(
            self.secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256
        ).hexdigest()

    def csrf_ok(self, session_token: str, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(self.csrf_for(session_token), str(sent))

    # --- before signing in ----------------------------------------------------------------

    def pre_value(self, cookie: str | None) -> str | None:
        value = self._read("signin", cookie, PRE_LIFETIME)
        return value if isinstance(value, str) else None

    def set_pre(self, response: Response, value: str) -> None:
        self._set(response, PRE_COOKIE, self._serializer("signin").dumps(value), PRE_LIFETIME)

    def clear_pre(self, response: Response) -> None:
        self._clear(response, PRE_COOKIE)

    # --- flash messages -------------------------------------------------------------------

    def flash(self, response: Response, lines: list[str], *, kind: str = "ok") -> None:
        text = json.dumps({"kind": kind, "lines": [line[:MAX_FLASH] for line in lines[:5]]})
        self._set(response, FLASH_COOKIE, self._serializer("flash").dumps(text), FLASH_LIFETIME)

    def read_flash(self, cookie: str | None) -> tuple[str, list[str]] | None:
        value = self._read("flash", cookie, FLASH_LIFETIME)
        if not isinstance(value, str):
            return None
        data = json.loads(value)
        return str(data["kind"]), [str(line) for line in data["lines"]]

    def clear_flash(self, response: Response) -> None:
        self._clear(response, FLASH_COOKIE)
