"""Shared CLI plumbing: the runtime per invocation, the output's language, errors as one
red line, JSON output.

Every line a command prints comes from the message catalogs (`cli.*` ids) in
HOKOKU_LANGUAGE: `words()` is the translator of this invocation."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import ArgumentError, OperationalError

from bot.runtime import Runtime, open_runtime
from bot.settings import Settings, load_settings
from handlers.errors import HokokuError
from handlers.i18n import DEFAULT_LANGUAGE, Translator, hinted, normalize_language, translator
from models.db import DatabaseBusy, DatabaseUnavailable, database_error, sqlite_path

console = Console()
err_console = Console(stderr=True)


def language() -> str:
    """HOKOKU_LANGUAGE (the environment, else .env), also when another setting is malformed."""
    try:
        return load_settings().language
    except HokokuError:
        return normalize_language(os.environ.get("HOKOKU_LANGUAGE")) or DEFAULT_LANGUAGE


def words() -> Translator:
    """The catalog of this invocation's language: what every command prints comes from it."""
    return translator(language())


def print_error(message: str) -> None:
    prefix = words()("cli.error")
    err_console.print(
        f"[bold red]{escape(prefix)}[/] {escape(message)}",
        highlight=False,
        markup=True,
        soft_wrap=True,
    )


def fail(message: str, code: int = 1) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def database_error_message(exc: DatabaseBusy | DatabaseUnavailable) -> str:
    t = words()
    if isinstance(exc, DatabaseBusy):
        return t("cli.database.busy")
    return t("cli.database.unavailable", error=str(exc))


def url_unreadable(name: str, url: str) -> str:
    """The line for a database URL that SQLAlchemy cannot read, with the two forms it takes."""
    return words()("cli.database.url_unreadable", name=name, url=url)


def settings() -> Settings:
    """This process's settings; a malformed value ends the command with one clear line."""
    try:
        return load_settings()
    except HokokuError as exc:
        fail(error_text(exc))


def new_database_notice(path: Path) -> None:
    """Say so when a command has just created a SQLite file (a wrong directory shows at once)."""
    err_console.print(
        words()("cli.database.created", path=str(path)),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def runtime(ctx: typer.Context, *, serving: bool = False) -> Runtime:
    """The runtime of this invocation (created on first use, closed when the command ends)."""
    root = ctx.find_root()
    if root.obj is None:
        current = settings()
        path = sqlite_path(current.database_url)
        created = path is not None and not path.exists()
        try:
            rt = open_runtime(current, serving=serving)
        except (DatabaseBusy, DatabaseUnavailable) as exc:
            fail(database_error_message(exc))
        except OperationalError as exc:  # raised outside a transaction (the schema check)
            fail(database_error_message(database_error(exc) or DatabaseUnavailable(str(exc.orig))))
        except ArgumentError:
            fail(url_unreadable("HOKOKU_DATABASE_URL", current.database_url))
        root.obj = rt
        root.call_on_close(rt.close)
        if created and path is not None:
            new_database_notice(path)
    assert isinstance(root.obj, Runtime)
    return root.obj


def error_text(exc: HokokuError) -> str:
    """A user error in HOKOKU_LANGUAGE, with the CLI's hint (which command fixes it)."""
    return hinted(words(), exc.msg, audience="cli")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a HokokuError into one clear line on stderr and exit code 1."""
    try:
        yield
    except HokokuError as exc:
        fail(error_text(exc))
    except (DatabaseBusy, DatabaseUnavailable) as exc:
        fail(database_error_message(exc))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
