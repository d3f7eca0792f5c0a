"""`hokoku audit`: what was done and by whom (links, proxy answers, refused invite codes)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from bot.cli.common import console, print_json, runtime, words
from bot.cli.sessions import reading
from bot.cli.texts import H
from handlers.organization.audit import list_audit
from models import utcnow


def audit_cmd(
    ctx: typer.Context,
    action: str | None = typer.Option(None, "--action", help=H("cli.audit")),
    days: int = typer.Option(30, "--days", min=1, help=H("cli.audit2")),
    limit: int = typer.Option(200, "--limit", min=1, help=H("cli.audit3")),
    as_json: bool = typer.Option(False, "--json", help=H("cli.audit4")),
) -> None:
    """The audit log, newest first (e.g. `--action invite_refused` shows refused invite guesses)."""
    rt = runtime(ctx)
    with reading(rt) as work:
        entries = list_audit(
            work.session, since=utcnow() - timedelta(days=days), action=action, limit=limit
        )
    zone = ZoneInfo(rt.settings.timezone)
    if as_json:
        print_json(
            [
                {
                    "at": e.at.astimezone(zone).isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "detail": e.detail,
                }
                for e in entries
            ]
        )
        return
    t = words()
    if not entries:
        console.print(t("cli.audit.none"))
        return
    table = Table(*(t(f"cli.audit.column.{c}") for c in ("at", "action", "actor", "detail")))
    for e in entries:
        detail = t.join(f"{k}={v}" for k, v in e.detail.items())
        table.add_row(f"{e.at.astimezone(zone):%Y-%m-%d %H:%M}", e.action, e.actor, detail)
    console.print(table)
