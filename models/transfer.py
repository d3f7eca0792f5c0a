"""Whole-database operations: row counts, SQLite's online backup, a table-by-table copy.

The copy goes through the ORM's own table definitions (Base.metadata), so every column type
converts exactly as it does for the application (UTC timestamps, JSON, booleans).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from models.base import Base

Row = dict[str, Any]


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows per table of the application's schema, in dependency order."""
    return {
        table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }


def backup_sqlite(engine: Engine, destination: Path) -> None:
    """A consistent copy of a live SQLite database (sqlite3's online backup API).

    Written beside the destination and renamed into place, so a failed backup never
    leaves half a file.
    """
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        with closing(sqlite3.connect(partial)) as target:
            source.backup(target)
    finally:
        raw.close()
    os.replace(partial, destination)


def _parents_first(table: Table, rows: list[Row]) -> list[Row]:
    """Order rows of a self-referencing table (plan_nodes.parent_id) so parents come first."""
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not self_refs:
        return rows
    (key,) = (column.name for column in table.primary_key)
    placed: set[Any] = set()
    ordered: list[Row] = []
    pending = rows
    while pending:
        ready = [r for r in pending if all(r[c] is None or r[c] in placed for c in self_refs)]
        if not ready:
            raise ValueError(f"{table.name}: rows refer to parents that do not exist")
        ordered.extend(ready)
        placed.update(r[key] for r in ready)
        pending = [r for r in pending if r[key] not in placed]
    return ordered


def copy_rows(source: Engine, target: Connection) -> dict[str, int]:
    """Insert every row of `source` into `target` (same schema), tables in dependency order.

    Runs inside the caller's transaction on `target`; returns rows copied per table.
    """
    copied: dict[str, int] = {}
    with source.connect() as src:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows = _parents_first(table, [dict(r) for r in src.execute(query).mappings()])
            if rows:
                target.execute(insert(table), rows)
            copied[table.name] = len(rows)
    return copied


def reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move each id sequence past the copied ids (the next insert must not collide)."""
    for table in Base.metadata.sorted_tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or columns[0].autoincrement is False:
            continue
        column = columns[0].name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{table.name}"'
            ),
            {"table": table.name, "column": column},
        )
