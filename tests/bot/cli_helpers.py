"""Running the real `hokoku` CLI in-process against a test database."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import Db

Invoke = Callable[..., Result]


def make_invoke(db: Db, **env: str) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            app, list(args), env={"HOKOKU_DATABASE_URL": db.url, **env}, input=input
        )

    return invoke


def flat(text: str) -> str:
    """Output without the line breaks rich inserts at the (test) terminal width."""
    return text.replace("\n", "")
