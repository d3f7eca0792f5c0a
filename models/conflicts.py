"""`INSERT … ON CONFLICT DO NOTHING` for the two databases hokoku runs on.

A unique key is how concurrent deliveries and concurrent schedulers agree without a lock:
the first insert wins, the others insert nothing (PostgreSQL makes a concurrent second
insert wait for the first transaction, then skip).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignoring_conflict(session: Session, model: Any, *, index_elements: Sequence[str]) -> Any:
    """An insert of `model` that skips rows conflicting on the unique `index_elements`."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(model).on_conflict_do_nothing(index_elements=list(index_elements))


def upsert(
    session: Session,
    model: Any,
    *,
    index_elements: Sequence[str],
    values: dict[str, Any],
    update: Sequence[str],
) -> Any:
    """`INSERT … ON CONFLICT (index_elements) DO UPDATE SET update…`: one statement."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(model).values(**values)
    return statement.on_conflict_do_update(
        index_elements=list(index_elements),
        set_={name: statement.excluded[name] for name in update},
    )
