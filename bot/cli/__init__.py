"""The `hokoku` command line (Typer + rich). One module per command group."""

from __future__ import annotations

import typer

from bot.cli import db, plan, remind

app = typer.Typer(
    name="hokoku",
    help="男女共同参画行動計画の進行管理（年次報告）を Slack・LINE・コンソールで集めるボット",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(plan.app, name="plan")
app.command("remind")(remind.remind_cmd)
app.command("scheduler")(remind.scheduler_cmd)
# Until bot/cli/round.py lands: the scheduler's round commands in their own group.
round_app = typer.Typer(help="報告の回", no_args_is_help=True)
round_app.command("notify")(remind.notify_cmd)
round_app.command("schedule")(remind.schedule_cmd)
round_app.command("edit-schedule")(remind.edit_schedule_cmd)
app.add_typer(round_app, name="round")


def main() -> None:
    app()
