"""A saturated connection pool answers 503 at once (the platform retries), never a 30 s wait
followed by a 500; as soon as a connection is free, the same delivery is stored."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from bot.server import build_app
from models.db import make_engine, make_session_factory
from tests.asgi_server import running_asgi
from tests.bot.deliveries import both_platforms, line_text, seed_office, slack_dm, stored_comments
from tests.conftest import Db
from tests.fakes.line_api import FakeLineApi
from tests.fakes.slack_api import FakeSlackApi


def test_no_free_connection_means_503_and_the_retry_is_stored(
    db: Db, fake_slack: FakeSlackApi, line_api: FakeLineApi
) -> None:
    office = seed_office(db, departments=1, items_each=2, people_each=1)
    settings = both_platforms(
        db, slack_api_url=fake_slack.url, line_api_url=line_api.url
    ).model_copy(update={"db_pool_size": 2, "db_pool_overflow": 0, "db_pool_timeout": 0.3})
    engine = make_engine(db.url, settings.pool(serving=True))
    runtime = Runtime(
        settings=settings,
        engine=engine,
        factory=make_session_factory(engine),
        organization_id=office.organization_id,
    )
    [slack_user] = office.slack_users
    [line_user] = office.line_users
    slack = slack_dm(slack_user, "1 B 混雑中", event_id="EvPool", comment="混雑中")
    line = line_text(
        line_user, "2 C 混雑中2", event_id="01POOLEVENT0000000000000001", comment="混雑中2"
    )
    with (
        running_asgi(build_app(settings, runtime)) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        held = [engine.connect() for _ in range(2)]  # every connection busy elsewhere
        busy = [slack.send(http), line.send(http)]
        for conn in held:
            conn.close()
        after = [slack.again().send(http), line.again().send(http)]
    engine.dispose()

    assert [r.status_code for r in busy] == [503, 503]
    assert all(r.headers.get("retry-after") == "1" for r in busy)
    assert [r.status_code for r in after] == [200, 200]
    assert sorted(stored_comments(db)) == ["混雑中", "混雑中2"]


BURST = 30


def test_line_bodies_wait_their_turn_for_the_pool_instead_of_failing(
    db: Db, fake_slack: FakeSlackApi, line_api: FakeLineApi
) -> None:
    """Like Slack's dispatch, the LINE webhook takes as many bodies at once as the pool has
    connections; the others wait their turn without a thread, so a burst larger than the
    pool is stored in full, none answered 503 by a pool that timed out."""
    import concurrent.futures

    office = seed_office(db, departments=1, items_each=2, people_each=1)
    settings = both_platforms(
        db, slack_api_url=fake_slack.url, line_api_url=line_api.url
    ).model_copy(update={"db_pool_size": 1, "db_pool_overflow": 0, "db_pool_timeout": 0.05})
    engine = make_engine(db.url, settings.pool(serving=True))
    runtime = Runtime(
        settings=settings,
        engine=engine,
        factory=make_session_factory(engine),
        organization_id=office.organization_id,
    )
    [line_user] = office.line_users
    burst = [
        line_text(
            line_user, f"{n % 2 + 1} B 一斉{n}", event_id=f"01BURST{n:019d}", comment=f"一斉{n}"
        )
        for n in range(BURST)
    ]
    with (
        running_asgi(build_app(settings, runtime)) as url,
        httpx.Client(base_url=url, timeout=60) as http,
        concurrent.futures.ThreadPoolExecutor(max_workers=BURST) as pool,
    ):
        answers = list(pool.map(lambda delivery: delivery.send(http), burst))
        line_api.wait_for(BURST, path="/v2/bot/message/reply")
    engine.dispose()
    assert [r.status_code for r in answers] == [200] * BURST
    assert sorted(stored_comments(db)) == sorted(f"一斉{n}" for n in range(BURST))
