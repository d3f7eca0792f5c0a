"""Each command imports only what it runs (people wait for every start; benchmarks/cli_start.py
prints the times). A fresh interpreter runs the command, then lists the libraries it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Libraries a command loads only when it uses them: the platforms and the server, the
# spreadsheet and chart writers, the migration tool, the scheduler.
HEAVY = (
    "linebot",
    "slack_sdk",
    "slack_bolt",
    "starlette",
    "uvicorn",
    "aiohttp",
    "openpyxl",
    "xlsxwriter",
    "matplotlib",
    "numpy",
    "alembic",
    "apscheduler",
)

PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["hokoku", *sys.argv[1:]]
from bot.cli import main
main()
"""


def loaded(*args: str, cwd: Path, database_url: str) -> set[str]:
    env = {**os.environ, "HOKOKU_DATABASE_URL": database_url, "COLUMNS": "1000"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    return {name.split(".")[0] for name in modules}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A migrated SQLite database (migrating a new one is the one start that needs Alembic)."""
    cwd = tmp_path_factory.mktemp("imports")
    url = f"sqlite:///{cwd / 'hokoku.db'}"
    assert "alembic" in loaded("db", "upgrade", cwd=cwd, database_url=url)
    return cwd, url


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("--help",), ()),
        (("status", "--json"), ()),
        (("status", "--help"), ()),
        (("round", "list"), ("apscheduler",)),  # round notify/schedule live beside the scheduler
        (("plan", "list"), ()),
        (("report", "--help"), ()),
        (("dept", "list"), ()),
        (("remind", "--help"), ("apscheduler",)),
        (("serve", "--help"), ()),
        (("export", "--help"), ("xlsxwriter",)),  # the command that writes XLSX
    ],
)
def test_a_command_loads_only_what_it_runs(
    args: tuple[str, ...], allowed: tuple[str, ...], database: tuple[Path, str]
) -> None:
    cwd, url = database
    unexpected = (set(HEAVY) - set(allowed)) & loaded(*args, cwd=cwd, database_url=url)
    assert unexpected == set(), f"hokoku {' '.join(args)} imported {sorted(unexpected)}"


def test_help_loads_neither_the_database_nor_the_settings(database: tuple[Path, str]) -> None:
    cwd, url = database
    assert {"sqlalchemy", "pydantic", "models"} & loaded(
        "--help", cwd=cwd, database_url=url
    ) == set()


def test_a_mistyped_command_is_still_suggested() -> None:
    """The commands are listed before they are loaded, typos included."""
    from typer.testing import CliRunner

    from bot.cli import app

    result = CliRunner().invoke(app, ["stats"], env={"COLUMNS": "1000"})
    assert result.exit_code == 2
    assert "Did you mean 'status'?" in result.output


SERVER = """
import json, sys
from pydantic import SecretStr
from bot.runtime import open_runtime
from bot.scheduler_service import SchedulerService
from bot.server import build_app, configure_platforms
from bot.settings import Settings

settings = Settings(
    database_url=sys.argv[1],
    line_channel_secret=SecretStr("s"),
    line_channel_access_token=SecretStr("t"),
)
rt = open_runtime(settings, serving=True)
platforms = configure_platforms(settings, rt)
build_app(settings, rt, platforms=platforms, extra_services=[SchedulerService(rt)])
print(json.dumps(sorted(sys.modules)))
"""


def test_an_idle_server_holds_no_line_sdk(database: tuple[Path, str]) -> None:
    """The LINE SDK's models load with the first event or reply, not with `serve`."""
    cwd, url = database
    done = subprocess.run(
        [sys.executable, "-c", SERVER, url],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=True,
    )
    modules = {name.split(".")[0] for name in json.loads(done.stdout.strip().splitlines()[-1])}
    assert "slack_bolt" not in modules  # Slack is not configured here
    assert {
        "linebot",
        "aiohttp",
        "xlsxwriter",
        "openpyxl",
        "matplotlib",
        "alembic",
    } & modules == set()
