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
from models.db import DatabaseBusy, DatabaseUnavailable, database_error

console = Console()
err_console = Console(stderr=True)


def print_error(message: str) -> None:
    err_console.print(
        f"[bold red]エラー:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True
    )


def fail(message: str, code: int = 1) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def database_error_message(exc: DatabaseBusy | DatabaseUnavailable) -> str:
    if isinstance(exc, DatabaseBusy):
        return (
            "データベースが他の処理で使用中です（書き込みが続いています）。"
            "しばらくしてからもう一度実行してください。"
        )
    return f"データベースに接続できません（HOKOKU_DATABASE_URL を確認してください）: {exc}"


def runtime(ctx: typer.Context, *, serving: bool = False) -> Runtime:
    """The runtime of this invocation (created on first use, closed when the command ends)."""
    root = ctx.find_root()
    if root.obj is None:
        try:
            rt = open_runtime(Settings(), serving=serving)
        except (DatabaseBusy, DatabaseUnavailable) as exc:
            fail(database_error_message(exc))
        except OperationalError as exc:  # raised outside a transaction (the schema check)
            fail(database_error_message(database_error(exc) or DatabaseUnavailable(str(exc.orig))))
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
    except (DatabaseBusy, DatabaseUnavailable) as exc:
        fail(database_error_message(exc))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
