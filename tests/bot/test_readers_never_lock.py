"""A long export in the office never holds SQLite's write lock: the departments' answers
that arrive meanwhile are stored and acknowledged at once.

`hokoku export` (like status, chart, history and audit) reads in a DEFERRED transaction,
which takes no write lock. The test pauses a real `hokoku export` inside its read session
and, meanwhile, sends a department's Slack DM answer to the real server (bolt over signed
HTTP). The server runs with `hokoku serve`'s pool, whose SQLite busy wait is one second
(twice, then 503): the answer is acknowledged with 200 only if nobody holds the lock for
longer than that, so a 200 here is the "within a second" of the guarantee.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from pydantic import SecretStr
from sqlalchemy import select

from bot.cli import export as export_cli
from bot.runtime import Runtime
from bot.server import build_app, configure_platforms
from bot.settings import Settings
from handlers.organization.directory import get_or_create_organization
from models import Report
from models.db import make_engine, make_session_factory, transaction, upgrade
from tests.asgi_server import running_asgi
from tests.bot.cli_helpers import make_invoke
from tests.bot.slack.harness import SIGNING_SECRET, SlackHarness, TrackingExecutor, seed
from tests.conftest import Db
from tests.fakes.slack_api import FakeSlackApi

PAUSE_LIMIT = 60.0  # a failing test must not hang: the paused export goes on after this


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Db]:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield Db(url=url, engine=engine, factory=make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def served_slack(sqlite_db: Db) -> Iterator[SlackHarness]:
    """`hokoku serve`'s Slack app on its own engine with the server's pool settings."""
    api = FakeSlackApi().start()
    settings = Settings(
        database_url=sqlite_db.url,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=api.url,
    )
    engine = make_engine(sqlite_db.url, settings.pool(serving=True))
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        org_id = get_or_create_organization(session, name=settings.organization).id
    runtime = Runtime(settings=settings, engine=engine, factory=factory, organization_id=org_id)
    executor = TrackingExecutor()
    platforms = configure_platforms(settings, runtime, slack_executor=executor)
    try:
        with running_asgi(build_app(settings, runtime, platforms=platforms)) as url:
            harness = SlackHarness(url, api, executor, platforms)
            api.reset()
            try:
                yield harness
            finally:
                harness.http.close()
    finally:
        executor.shutdown(wait=True)
        engine.dispose()
        api.stop()


def test_a_dm_answer_is_stored_and_acknowledged_while_an_export_is_open(
    sqlite_db: Db, served_slack: SlackHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sqlite_db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    inside, release = threading.Event(), threading.Event()
    real_export = export_cli.export_document

    def paused_export(*args: Any, **kwargs: Any) -> Any:
        document = real_export(*args, **kwargs)
        inside.set()  # the export has read the round; its session is still open
        release.wait(PAUSE_LIMIT)
        return document

    monkeypatch.setattr(export_cli, "export_document", paused_export)
    output = tmp_path / "達成状況一覧.xlsx"
    invoke = make_invoke(sqlite_db, HOKOKU_ORGANIZATION="default")
    exported: list[Result] = []
    office = threading.Thread(target=lambda: exported.append(invoke("export", "-o", str(output))))
    office.start()
    try:
        assert inside.wait(PAUSE_LIMIT), "the export never reached its pause"
        response = served_slack.dm("U1", "1 B 市広報紙で周知した", event_id="EvLock1")
        with transaction(make_session_factory(sqlite_db.engine, read_only=True)) as session:
            stored = session.scalars(select(Report.grade)).all()
    finally:
        release.set()
        office.join(PAUSE_LIMIT)

    assert response.status_code == 200, "the answer waited for the export's lock"
    assert stored == ["B"]
    [reply] = served_slack.api.of("chat.postMessage")
    assert "保存" in reply.body["text"]
    [result] = exported
    assert result.exit_code == 0, result.output
    assert output.exists()
