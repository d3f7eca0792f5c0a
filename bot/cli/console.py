"""`hokoku console`: chat with the bot in the terminal as a department (or the office)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot import console as chat
from bot.cli.common import fail, runtime, user_errors
from bot.cli.options import os_user


def console_cmd(
    ctx: typer.Context,
    dept: Annotated[
        str | None,
        typer.Option("--dept", help="この担当課として話す（省略時: 登録済みの担当課）"),
    ] = None,
    office: Annotated[
        bool, typer.Option("--office", help="事務局として（全課の状況）。--dept と一緒に")
    ] = False,
    round_ref: Annotated[
        str | None, typer.Option("--round", "-r", help="回の番号（省略時: 受付中の最新の回）")
    ] = None,
    as_name: Annotated[
        str | None, typer.Option("--as", help="利用者名（省略時: ログイン名）")
    ] = None,
) -> None:
    """端末で担当課（または事務局）としてボットと話す。

    Chat in the terminal (piped stdin: one message per line, exits at end of input)."""
    if office and dept is None:
        fail("--office には --dept 課名（事務局の課）も指定してください。")
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
