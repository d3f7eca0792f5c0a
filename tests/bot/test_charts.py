"""`GET /charts/{token}.png` over HTTP against the real app under uvicorn: the PNG with its
content type and cache headers while the token lives, 404 otherwise, no listing; two
server instances on one database serve the same image."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from bot.charts import chart_lifetime, public_url
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from handlers.errors import InvalidInput
from handlers.export.chart_images import ChartImage, publish_chart
from handlers.organization.directory import get_or_create_organization
from models import utcnow
from models.db import make_engine, make_session_factory, transaction
from tests.asgi_server import running_asgi
from tests.conftest import Db
from tests.factories import build_plan, open_test_round

PUBLIC = "https://hokoku.example.jp"


def _runtime(db: Db, *, own_engine: bool = False) -> Runtime:
    settings = Settings(database_url=db.url, public_url=PUBLIC + "/", chart_minutes=30)
    engine = make_engine(db.url) if own_engine else db.engine
    factory = make_session_factory(engine) if own_engine else db.factory
    with transaction(factory) as session:
        org_id = get_or_create_organization(session, name=settings.organization).id
    return Runtime(settings=settings, engine=engine, factory=factory, organization_id=org_id)


@pytest.fixture
def server(db: Db) -> Iterator[tuple[Runtime, httpx.Client]]:
    runtime = _runtime(db)
    with (
        running_asgi(build_app(runtime.settings, runtime)) as url,
        httpx.Client(base_url=url) as http,
    ):
        yield runtime, http


def _publish(
    runtime: Runtime, *, kind: str = "completion", age: timedelta = timedelta(0)
) -> ChartImage:
    with transaction(runtime.factory) as session:
        built = build_plan(session, name=f"計画{kind}{age}", items=[("周知", ["女性センター"])])
        info = open_test_round(session, built)
        return publish_chart(
            session,
            round_id=info.id,
            kind=kind,
            today=date(2024, 6, 1),
            now=utcnow() - age,
            lifetime=chart_lifetime(runtime.settings),
        )


def test_a_published_chart_is_served_with_its_type_and_cache_headers(
    server: tuple[Runtime, httpx.Client],
) -> None:
    runtime, http = server
    image = _publish(runtime)
    response = http.get(image.url_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG") and len(response.content) == image.size
    assert response.headers["x-content-type-options"] == "nosniff"
    max_age = int(response.headers["cache-control"].removeprefix("private, max-age="))
    assert 0 < max_age <= 30 * 60
    assert parsedate_to_datetime(response.headers["expires"]) == image.expires_at.replace(
        microsecond=0
    )
    head = http.head(image.url_path)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == image.size
    # The absolute URL LINE's image message takes (originalContentUrl and previewImageUrl).
    assert public_url(runtime.settings, image.url_path) == f"{PUBLIC}{image.url_path}"


def test_unknown_expired_or_malformed_tokens_and_listings_are_404(
    server: tuple[Runtime, httpx.Client],
) -> None:
    runtime, http = server
    expired = _publish(runtime, age=timedelta(minutes=31))  # lived 30 minutes
    live = _publish(runtime, kind="grades")
    for path in (
        expired.url_path,
        "/charts/" + "A" * 22 + ".png",  # well-formed, never published
        "/charts/" + live.token[:-1] + ".png",
        "/charts/" + live.token,  # no .png
        "/charts/" + live.token + ".PNG",
        "/charts/%2e%2e%2fhealthz.png",
        "/charts/",
        "/charts",
    ):
        response = http.get(path)
        assert response.status_code == 404, path
        if response.headers.get("cache-control") is not None:
            assert response.headers["cache-control"] == "no-store", path
    assert http.get(live.url_path).status_code == 200
    assert http.post(live.url_path).status_code == 405


def test_two_server_instances_on_one_database_serve_the_same_image(db: Db) -> None:
    first, second = _runtime(db, own_engine=True), _runtime(db, own_engine=True)
    try:
        image = _publish(first, kind="yoy")
        with (
            running_asgi(build_app(first.settings, first)) as a,
            running_asgi(build_app(second.settings, second)) as b,
        ):
            bodies = [httpx.get(base + image.url_path).content for base in (a, b)]
        assert bodies[0] == bodies[1] and bodies[0].startswith(b"\x89PNG")
    finally:
        first.close()
        second.close()


def test_public_url_is_needed_for_line(db: Db) -> None:
    settings = Settings(database_url=db.url)
    with pytest.raises(InvalidInput, match="HOKOKU_PUBLIC_URL"):
        public_url(settings, "/charts/x.png")
    assert chart_lifetime(settings) == timedelta(days=1)
