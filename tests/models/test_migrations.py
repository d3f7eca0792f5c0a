"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, ForeignKeyConstraint, make_url, text

from models import Base
from models.db import (
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    newest_migration,
    stored_revision,
    upgrade,
)


def _columns(fk: ForeignKeyConstraint) -> tuple[str, tuple[str, ...]]:
    return fk.table.name, tuple(c.name for c in fk.columns)


def _unreadable_inline_fks(diffs: list[Any]) -> list[Any]:
    """SQLite only: a foreign key added with `ALTER TABLE … ADD COLUMN … REFERENCES … ON DELETE`
    (the only way to add one without copying the table, see 0003/0004) is reflected by
    SQLAlchemy without its name and action. Such a pair (unnamed remove_fk, add_fk of the
    same columns) is that reflection gap, not drift; PostgreSQL compares them in full."""
    removed = {_columns(d[1]) for d in diffs if d[0] == "remove_fk" and d[1].name is None}
    return [d for d in diffs if not (d[0] in ("remove_fk", "add_fk") and _columns(d[1]) in removed)]


def test_migrated_schema_matches_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision(engine)
    assert stored_revision(engine) == current_revision(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    if engine.dialect.name == "sqlite":
        diffs = _unreadable_inline_fks(diffs)
    assert diffs == []


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (its own file / its own PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    base = make_url(request.getfixturevalue("postgres_url"))
    name = f"{base.database}_upgrade"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_office_year_migration_keeps_existing_data(empty_url: str) -> None:
    """0003 adds columns in place: on SQLite a table copy would cascade-delete assignments."""
    engine = make_engine(empty_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO organizations (id, name, created_at) VALUES (1, 'o', '2024-04-01')",
                "INSERT INTO departments (id, organization_id, name, created_at) "
                "VALUES (1, 1, '女性センター', '2024-04-01')",
                "INSERT INTO plans (id, organization_id, name, source_name, level_labels, "
                "item_label, created_at, updated_at) "
                "VALUES (1, 1, 'p', 'p.csv', '[]', '取組項目', '2024-04-01', '2024-04-01')",
                "INSERT INTO items (id, plan_id, number, code, title, description, is_priority, "
                "position) VALUES (1, 1, 1, '1', '周知', '', false, 0)",
                "INSERT INTO assignments (id, item_id, department_id, position) VALUES (1, 1, 1, 0)",
            ):
                conn.execute(text(statement))
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM assignments")).scalar() == 1
            assert conn.execute(text("SELECT title, name FROM plans")).one() == ("", "p")
            assert conn.execute(text("SELECT repost_of_id FROM items")).scalar() is None
        command.downgrade(alembic_config(engine), "0001")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM assignments")).scalar() == 1
        upgrade(engine)
    finally:
        engine.dispose()


def test_newest_migration_file_is_alembics_head() -> None:
    """ensure_schema's cheap check (no Alembic import) names the head Alembic would find."""
    assert newest_migration() == head_revision(make_engine("sqlite://"))


def test_ensure_schema_migrates_a_new_database_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert stored_revision(engine) is None
    assert ensure_schema(engine) is True
    assert stored_revision(engine) == head_revision(engine)
    assert ensure_schema(engine) is False


def test_chat_edits_migration_keeps_revisions_and_marks_office_entries_as_proxies(
    empty_url: str,
) -> None:
    """0012 copies report_revisions on SQLite (its grade becomes nullable): every revision
    stays, `hokoku report set` entries (channel "office") become proxies, and a downgrade
    drops only the withdrawals that left no grade."""
    engine = make_engine(empty_url)
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO organizations (id, name, created_at) VALUES (1, 'o', '2024-04-01')",
                "INSERT INTO departments (id, organization_id, name, created_at) "
                "VALUES (1, 1, '女性センター', '2024-04-01')",
                "INSERT INTO plans (id, organization_id, name, title, source_name, level_labels, "
                "item_label, created_at, updated_at) "
                "VALUES (1, 1, 'p', '', 'p.csv', '[]', '取組項目', '2024-04-01', '2024-04-01')",
                "INSERT INTO items (id, plan_id, number, code, title, description, is_priority, "
                "position) VALUES (1, 1, 1, '1', '周知', '', false, 0)",
                "INSERT INTO assignments (id, item_id, department_id, position) VALUES (1, 1, 1, 0)",
                "INSERT INTO rounds (id, plan_id, fiscal_year, opens_on, deadline, scale, "
                "created_at) VALUES (1, 1, 2024, '2025-04-01', '2025-05-31', '[]', '2025-04-01')",
                "INSERT INTO reports (id, round_id, assignment_id, grade, comment, revision, "
                "reporter, channel) VALUES (1, 1, 1, 'A', 'x', 2, 'cli:kato', 'office')",
                "INSERT INTO report_revisions (id, report_id, revision, grade, comment, reporter, "
                "channel, source_key, created_at) VALUES "
                "(1, 1, 1, 'B', 'y', 'U1', 'slack', 'slack:Ev1#1', '2025-04-02'), "
                "(2, 1, 2, 'A', 'x', 'cli:kato', 'office', NULL, '2025-04-03')",
            ):
                conn.execute(text(statement))
        upgrade(engine)
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT id, grade, proxy, kind, message_key FROM report_revisions ORDER BY id")
            ).all()
            assert [tuple(r) for r in rows] == [
                (1, "B", False, "answer", None),
                (2, "A", True, "answer", None),
            ]
            conn.execute(
                text(
                    "INSERT INTO report_revisions (id, report_id, revision, grade, comment, "
                    "reporter, channel, created_at, kind, proxy) VALUES "
                    "(3, 1, 3, NULL, '', 'U1', 'slack', '2025-04-04', 'withdrawal', false)"
                )
            )
        command.downgrade(alembic_config(engine), "0011")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM report_revisions")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM assignments")).scalar() == 1
        upgrade(engine)
    finally:
        engine.dispose()
