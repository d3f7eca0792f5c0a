"""Running the real `hokoku` CLI in-process against a test database."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import Db

Invoke = Callable[..., Result]

# rich wraps output at the terminal's width, and a break where a space was loses the space:
# a line holding a temporary path (pytest-6 or pytest-88) wrapped or not from run to run.
WIDE = "1000"


def make_invoke(db: Db, **env: str) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            app,
            list(args),
            env={"HOKOKU_DATABASE_URL": db.url, "COLUMNS": WIDE, **env},
            input=input,
        )

    return invoke


def flat(text: str) -> str:
    """Output without the line breaks rich inserts at the (test) terminal width (WIDE keeps
    most lines whole)."""
    return text.replace("\n", "")
