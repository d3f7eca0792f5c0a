"""The `hokoku` command line (Typer + rich). One module per command group."""

from __future__ import annotations

import typer

from bot.cli import db, export, plan, serve, status

app = typer.Typer(
    name="hokoku",
    help="男女共同参画行動計画の進行管理（年次報告）を Slack・LINE・コンソールで集めるボット",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(plan.app, name="plan")
app.command("status")(status.status_cmd)
app.command("export")(export.export_cmd)
app.add_typer(serve.app, name="serve")


def main() -> None:
    app()
