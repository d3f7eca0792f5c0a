"""Test databases: every test that asks for `session` or `db` runs on SQLite and PostgreSQL.

PostgreSQL comes from HOKOKU_TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each test run creates its own scratch database there and drops it afterwards, so parallel
runs never collide. When the server is unreachable the PostgreSQL half skips with a reason,
except in CI (CI=true) or when the URL was set explicitly: then it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models import Base
from models.db import make_engine, make_session_factory, upgrade
from tests.scratch_postgres import scratch_database

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"  # shipped with the package


def pytest_report_header(config: pytest.Config) -> str:
    return f"hokoku PostgreSQL: {os.environ.get('HOKOKU_TEST_DATABASE_URL') or PG_DEFAULT}"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"sample plan tables not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    explicit = os.environ.get("HOKOKU_TEST_DATABASE_URL")
    url = explicit or PG_DEFAULT
    required = bool(explicit) or os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL not reachable at {url}: {exc.orig}"
        if required:
            pytest.fail(message)
        pytest.skip(message + " (set HOKOKU_TEST_DATABASE_URL to run these)")
    admin.dispose()
    with scratch_database(url) as scratch:
        yield scratch


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'hokoku.db'}"


_engines: dict[str, Engine] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated test database, once per backend."""
    url: str = request.getfixturevalue(
        f"{request.param}_url" if request.param == "sqlite" else "postgres_url"
    )
    if url not in _engines:
        engine = make_engine(url)
        upgrade(engine)
        _engines[url] = engine
    return url


@pytest.fixture
def engine(db_url: str) -> Engine:
    return _engines[db_url]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield sess
        finally:
            sess.close()
            outer.rollback()


@dataclass
class Db:
    """A database whose changes are really committed (CLI, servers, other processes)."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]


@pytest.fixture
def db(engine: Engine, db_url: str) -> Iterator[Db]:
    yield Db(url=db_url, engine=engine, factory=make_session_factory(engine))
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for eng in _engines.values():
        eng.dispose()
    _engines.clear()
