"""The `hokoku` command line (Typer + rich). One module per command group.

Every command waits for a person, so a command imports only what it runs: the table below
names each command's module, which is imported when the command is invoked (or its own
`--help` shown). `hokoku --help` lists the commands from the table and the catalog alone.
tests/bot/cli/test_imports.py checks which libraries each start loads.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from bot.cli.texts import H


class Entry:
    """One top-level command: where it lives and its one-line help (catalog key)."""

    def __init__(self, module: str, attribute: str, help_key: str) -> None:
        self.module = module
        self.attribute = attribute
        self.help_key = help_key


# In the order `hokoku --help` lists them (Typer lists commands before groups).
COMMANDS: dict[str, Entry] = {
    "status": Entry("bot.cli.status", "status_cmd", "cli.status.status"),
    "export": Entry("bot.cli.export", "export_cmd", "cli.export.export"),
    "chart": Entry("bot.cli.chart", "chart_cmd", "cli.chart.chart"),
    "console": Entry("bot.cli.console", "console_cmd", "cli.console.console"),
    "demo": Entry("bot.cli.demo", "demo_cmd", "cli.demo.demo"),
    "samples": Entry("bot.cli.samples", "samples_cmd", "cli.samples.samples"),
    "remind": Entry("bot.cli.remind", "remind_cmd", "cli.remind.remind"),
    "audit": Entry("bot.cli.audit", "audit_cmd", "cli.audit.audit"),
    "scheduler": Entry("bot.cli.remind", "scheduler_cmd", "cli.remind.scheduler"),
    "db": Entry("bot.cli.db", "app", "cli.db.app"),
    "plan": Entry("bot.cli.plan", "app", "cli.plan.app"),
    "round": Entry("bot.cli.round", "app", "cli.round.app"),
    "report": Entry("bot.cli.report", "app", "cli.report.app"),
    "dept": Entry("bot.cli.dept", "app", "cli.dept.app"),
    "indicator": Entry("bot.cli.indicator", "app", "cli.indicator.app"),
    "evaluation": Entry("bot.cli.evaluation", "app", "cli.evaluation.app"),
    "web": Entry("bot.cli.web", "app", "cli.web.app"),
    "serve": Entry("bot.cli.serve", "app", "cli.serve.serve"),
}


def load_command(name: str) -> Any:
    """The click command of `name`, built from its module (imported now)."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(add_completion=False)
    single.command(name, help=H(entry.help_key))(target)
    return typer.main.get_command(single)


class Placeholder(TyperCommand):
    """A command not loaded yet: its name and the catalog's line (what `hokoku --help`,
    completion and "Did you mean" read)."""


class LazyGroup(TyperGroup):
    """The top-level group: commands are loaded on first use, listed without loading."""

    listing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, entry in COMMANDS.items():
            self.commands.setdefault(name, Placeholder(name=name, help=H(entry.help_key)))

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        command = self.commands.get(cmd_name)
        if isinstance(command, Placeholder) and not self.listing:
            command = self.commands[cmd_name] = load_command(cmd_name)
        return command

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="hokoku",
    help=H("cli.app"),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=LazyGroup,
)


@app.callback()
def setup() -> None:
    """Before every command: logging from HOKOKU_LOG_LEVEL / HOKOKU_LOG_FORMAT."""
    from bot.cli.common import settings
    from bot.logs import configure_logging

    configure_logging(settings())


def main() -> None:
    try:
        app()
    except Exception as exc:
        # A command that did not wrap its work in user_errors(): still one line, no traceback.
        # (Imported here: a start that never reached the database need not load it.)
        from bot.cli.common import database_error_message, print_error
        from models.db import DatabaseBusy, DatabaseUnavailable

        if not isinstance(exc, DatabaseBusy | DatabaseUnavailable):
            raise
        print_error(database_error_message(exc))
        raise SystemExit(1) from None
