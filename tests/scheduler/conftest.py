"""Scheduler tests: PostgreSQL-only tests (row locks, several connections) skip on SQLite."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres_only") is None:
        return
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("db_url") == "sqlite":
        pytest.skip("needs PostgreSQL (row locks, SKIP LOCKED, several connections)")
