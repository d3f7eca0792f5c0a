"""The web console under the real `hokoku serve` app (uvicorn on a free port), signed in
by real links, over HTTP (httpx) or in Debian's Chromium (Playwright)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.runtime import Runtime
from bot.server import Platforms, build_app
from bot.settings import Settings
from handlers.organization.directory import get_or_create_department, get_or_create_organization
from handlers.organization.web_access import LINK_TTL, IssuedLink, create_link
from models import ROLE_MEMBER, ROLE_OFFICE, utcnow
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.conftest import Db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OFFICE = "男女平等推進センター"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_settings(db: Db, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.url,
        "public_url": "http://localhost:3000",
        "secret_key": SecretStr("web-console-test-secret-" + "x" * 20),
        "max_upload_bytes": 2 * 1024 * 1024,
        **changes,
    }
    return Settings(**values)


def runtime_for(db: Db, settings: Settings) -> Runtime:
    with transaction(db.factory) as session:
        org_id = get_or_create_organization(session, name=settings.organization).id
    return Runtime(settings=settings, engine=db.engine, factory=db.factory, organization_id=org_id)


@dataclass
class WebServer:
    url: str
    runtime: Runtime
    db: Db

    def link(
        self,
        department: str,
        *,
        office: bool = False,
        person: str = "test",
        now: datetime | None = None,
        ttl: timedelta = LINK_TTL,
    ) -> IssuedLink:
        """A sign-in link made by the same handler `hokoku web link` and `web` use."""
        with transaction(self.db.factory) as session:
            dept = get_or_create_department(
                session, organization_id=self.runtime.organization_id, name=department
            )
            return create_link(
                session,
                department=dept,
                role=ROLE_OFFICE if office else ROLE_MEMBER,
                person=person,
                created_by="test",
                now=now or utcnow(),
                ttl=ttl,
            )

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, follow_redirects=False)

    def sign_in(self, link: IssuedLink, http: httpx.Client | None = None) -> httpx.Client:
        """Open the link and press the button, as a browser does; the client keeps the cookie."""
        http = http or self.client()
        page = http.get(link.path)
        assert page.status_code == 200, page.text
        done = http.post(
            "/web/signin", data={"csrf_token": csrf_of(page.text), "token": link.token}
        )
        assert done.status_code == 303, done.text
        return http


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


@pytest.fixture
def web(db: Db) -> Iterator[WebServer]:
    """The whole `hokoku serve` app with no chat platform: the web console alone."""
    runtime = runtime_for(db, web_settings(db))
    with running_asgi(build_app(runtime.settings, runtime, platforms=Platforms())) as url:
        yield WebServer(url, runtime, db)


def chromium_or_skip() -> str:
    """Debian's chromium (installed by .ci/run); in CI its absence fails the test."""
    if shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM
