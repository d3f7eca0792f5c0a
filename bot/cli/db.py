"""`hokoku db`: schema management."""

from __future__ import annotations

import typer

from bot.cli.common import console
from bot.settings import Settings
from models.db import current_revision, head_revision, make_engine, upgrade

app = typer.Typer(help="データベース（スキーマ）の管理", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd() -> None:
    """スキーマを最新にする（Alembic upgrade head）。

    Bring the schema up to date (Alembic `upgrade head`)."""
    engine = make_engine(Settings().database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        console.print(f"schema: {before or '(empty)'} → {current_revision(engine)}")
    finally:
        engine.dispose()


@app.command("status")
def status_cmd() -> None:
    """現在と最新のスキーマ版を表示する。

    Show the current and the latest schema revision."""
    engine = make_engine(Settings().database_url)
    try:
        console.print(f"current: {current_revision(engine)}  head: {head_revision(engine)}")
    finally:
        engine.dispose()
