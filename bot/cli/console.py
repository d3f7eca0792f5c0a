"""`hokoku console`: chat with the bot in the terminal as a department (or the office)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot import console as chat
from bot.cli.common import fail, runtime, user_errors, words
from bot.cli.options import os_user
from bot.cli.texts import H


def console_cmd(
    ctx: typer.Context,
    dept: Annotated[
        str | None,
        typer.Option("--dept", help=H("cli.console.console.dept")),
    ] = None,
    office: Annotated[bool, typer.Option("--office", help=H("cli.console.console.office"))] = False,
    round_ref: Annotated[
        str | None, typer.Option("--round", "-r", help=H("cli.console.console.round_ref"))
    ] = None,
    as_name: Annotated[
        str | None, typer.Option("--as", help=H("cli.console.console.as_name"))
    ] = None,
) -> None:
    """Chat in the terminal (piped stdin: one message per line, exits at end of input)."""
    if office and dept is None:
        fail(words()("cli.console.office_needs_dept"))
    rt = runtime(ctx)
    with user_errors():
        session = chat.open_session(
            rt,
            reporter=(as_name or os_user()).strip(),
            department=dept,
            office=office,
            round_ref=round_ref,
        )
    chat.run(rt, session)
