"""The `hokoku` command line (Typer + rich). One module per command group."""

from __future__ import annotations

import typer

from bot.cli import (
    audit,
    chart,
    console,
    db,
    demo,
    dept,
    evaluation,
    export,
    indicator,
    plan,
    remind,
    report,
    results,
    round,
    samples,
    serve,
    status,
)
from bot.cli.common import database_error_message, print_error, settings
from bot.cli.texts import H
from bot.logs import configure_logging
from models.db import DatabaseBusy, DatabaseUnavailable

app = typer.Typer(
    name="hokoku",
    help=H("cli.app"),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def setup() -> None:
    """Before every command: logging from HOKOKU_LOG_LEVEL / HOKOKU_LOG_FORMAT."""
    configure_logging(settings())


app.add_typer(db.app, name="db")
app.add_typer(plan.app, name="plan")
app.add_typer(round.app, name="round")
app.add_typer(report.app, name="report")
app.add_typer(dept.app, name="dept")
app.add_typer(indicator.app, name="indicator")
app.add_typer(evaluation.app, name="evaluation")
app.command("status", help=H("cli.status.status"))(status.status_cmd)
app.command("export", help=H("cli.export.export"))(export.export_cmd)
app.command("chart", help=H("cli.chart.chart"))(chart.chart_cmd)
app.command("console", help=H("cli.console.console"))(console.console_cmd)
app.command("demo", help=H("cli.demo.demo"))(demo.demo_cmd)
app.command("samples", help=H("cli.samples.samples"))(samples.samples_cmd)
app.add_typer(serve.app, name="serve")
app.command("remind", help=H("cli.remind.remind"))(remind.remind_cmd)
app.command("audit", help=H("cli.audit.audit"))(audit.audit_cmd)
app.command("scheduler", help=H("cli.remind.scheduler"))(remind.scheduler_cmd)
round.app.command("notify", help=H("cli.remind.notify"))(remind.notify_cmd)
round.app.command("schedule", help=H("cli.remind.schedule"))(remind.schedule_cmd)
round.app.command("edit-schedule", help=H("cli.remind.edit_schedule"))(remind.edit_schedule_cmd)
round.app.command("import-results", help=H("cli.results.import_results"))(
    results.import_results_cmd
)


def main() -> None:
    try:
        app()
    except (DatabaseBusy, DatabaseUnavailable) as exc:
        # A command that did not wrap its work in user_errors(): still one line, no traceback.
        print_error(database_error_message(exc))
        raise SystemExit(1) from None
