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
from bot.logs import configure_logging
from models.db import DatabaseBusy, DatabaseUnavailable

app = typer.Typer(
    name="hokoku",
    help="男女共同参画行動計画の進行管理（年次報告）を Slack・LINE・コンソールで集めるボット",
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
app.command("status")(status.status_cmd)
app.command("export")(export.export_cmd)
app.command("chart")(chart.chart_cmd)
app.command("console")(console.console_cmd)
app.command("demo")(demo.demo_cmd)
app.command("samples")(samples.samples_cmd)
app.add_typer(serve.app, name="serve")
app.command("remind")(remind.remind_cmd)
app.command("audit")(audit.audit_cmd)
app.command("scheduler")(remind.scheduler_cmd)
round.app.command("notify")(remind.notify_cmd)
round.app.command("schedule")(remind.schedule_cmd)
round.app.command("edit-schedule")(remind.edit_schedule_cmd)
round.app.command("import-results")(results.import_results_cmd)


def main() -> None:
    try:
        app()
    except (DatabaseBusy, DatabaseUnavailable) as exc:
        # A command that did not wrap its work in user_errors(): still one line, no traceback.
        print_error(database_error_message(exc))
        raise SystemExit(1) from None
