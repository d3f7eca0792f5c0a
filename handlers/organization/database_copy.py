"""Moving the office's data to another database: `hokoku db copy --to URL`.

An office that started on the embedded SQLite file moves to PostgreSQL without losing a
single answer: the target is migrated to the same schema, refused unless it is empty, and
filled in one transaction (all or nothing), then its id sequences are moved on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from handlers.errors import InvalidInput
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
        raise InvalidInput(
            "hokoku db copy は SQLite のデータベースを PostgreSQL へ移すためのものです"
            f"（いまの HOKOKU_DATABASE_URL は {source.dialect.name}）。"
        )
    if target.dialect.name != "postgresql":
        raise InvalidInput(
            "--to には PostgreSQL の URL を指定してください"
            "（例: postgresql+psycopg://hokoku@db.example.lg.jp/hokoku）。"
        )
    ensure_schema(source)
    upgrade(target)
    with target.begin() as conn:
        busy = {name: count for name, count in table_counts(conn).items() if count}
        if busy:
            listed = "、".join(f"{name} {count}行" for name, count in busy.items())
            raise InvalidInput(
                f"コピー先のデータベースは空ではありません（{listed}）。"
                "何も書き込んでいません。空のデータベースを指定してください。"
            )
        rows = copy_rows(source, conn)
        reset_sequences(conn)
    return CopyResult(rows=rows)
