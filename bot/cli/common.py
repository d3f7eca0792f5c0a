"""Shared CLI plumbing: the runtime per invocation, errors as one red line, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from handlers.errors import HokokuError

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(
        f"[bold red]エラー:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True
    )
    raise typer.Exit(code)


def runtime(ctx: typer.Context) -> Runtime:
    """The runtime of this invocation (created on first use, closed when the command ends)."""
    root = ctx.find_root()
    if root.obj is None:
        try:
            rt = open_runtime(Settings())
        except OperationalError as exc:
            fail(
                f"データベースに接続できません（HOKOKU_DATABASE_URL を確認してください）: {exc.orig}"
            )
        root.obj = rt
        root.call_on_close(rt.close)
    assert isinstance(root.obj, Runtime)
    return root.obj


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a HokokuError into one clear line on stderr and exit code 1."""
    try:
        yield
    except HokokuError as exc:
        fail(exc.message)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
