"""Moving the office's data to another database: `hokoku db copy --to URL`.

An office that started on the embedded SQLite file moves to PostgreSQL without losing a
single answer: the target is migrated to the same schema, refused unless it is empty, and
filled in one transaction (all or nothing), then its id sequences are moved on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from handlers.errors import InvalidInput
from handlers.i18n import msg
from models.db import ensure_schema, upgrade
from models.transfer import copy_rows, reset_sequences, table_counts


@dataclass(frozen=True)
class CopyResult:
    rows: dict[str, int]  # table → rows copied, in dependency order

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_database(*, source: Engine, target: Engine) -> CopyResult:
    """Copy every table of the SQLite `source` into the empty PostgreSQL `target`."""
    if source.dialect.name != "sqlite":
        raise InvalidInput(msg("db_copy.source_not_sqlite", backend=source.dialect.name))
    if target.dialect.name != "postgresql":
        raise InvalidInput(msg("db_copy.target_not_postgresql"))
    ensure_schema(source)
    upgrade(target)
    with target.begin() as conn:
        busy = {name: count for name, count in table_counts(conn).items() if count}
        if busy:
            listed = tuple(msg("db_copy.table_rows", table=n, rows=c) for n, c in busy.items())
            raise InvalidInput(msg("db_copy.target_not_empty", tables=listed))
        rows = copy_rows(source, conn)
        reset_sequences(conn)
    return CopyResult(rows=rows)
