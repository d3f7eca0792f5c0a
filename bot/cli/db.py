"""`hokoku db`: schema management and housekeeping."""

from __future__ import annotations

from datetime import timedelta

import typer

from bot.cli.common import console, runtime, user_errors
from bot.settings import Settings
from models import utcnow
from models.db import current_revision, head_revision, make_engine, transaction, upgrade
from scheduler.housekeeping import prune

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


@app.command("prune")
def prune_cmd(
    ctx: typer.Context,
    days: int | None = typer.Option(
        None, "--days", min=1, help="これより古いものを削除（既定: HOKOKU_RETENTION_DAYS）"
    ),
) -> None:
    """古い受信記録・期限切れの会話状態・終了した回の送信記録を削除する（回答と監査記録は残す）。

    Prune dedupe keys, expired conversation states and finished outbox rows of closed
    rounds (what `hokoku serve` does every hour; for cron set-ups)."""
    rt = runtime(ctx)
    retention = timedelta(days=days or rt.settings.retention_days)
    with user_errors(), transaction(rt.factory) as session:
        pruned = prune(session, now=utcnow(), retention=retention)
    console.print(
        f"削除: 受信記録 {pruned.events} 件、会話状態 {pruned.states} 件、"
        f"招待コードの失敗記録 {pruned.invite_failures} 件、送信記録 {pruned.notifications} 件"
    )
