"""`hokoku db`: which database is in use, its schema, backups, moving to PostgreSQL, housekeeping."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from bot.cli.common import (
    console,
    fail,
    new_database_notice,
    print_json,
    runtime,
    settings,
    url_unreadable,
    user_errors,
    words,
)
from bot.cli.sessions import writing
from bot.cli.texts import H
from handlers.organization.database_copy import copy_database
from models import utcnow
from models.db import (
    current_revision,
    head_revision,
    make_engine,
    masked_url,
    sqlite_path,
    upgrade,
)
from models.transfer import backup_sqlite, table_counts
from scheduler.housekeeping import prune

app = typer.Typer(help=H("cli.db.app"), no_args_is_help=True)

COUNTED = ("plans", "rounds", "reports", "departments")  # the tables `db status` counts


def _engine(url: str, *, name: str = "HOKOKU_DATABASE_URL") -> Engine:
    try:
        return make_engine(url)
    except ArgumentError:
        fail(url_unreadable(name, url))


def _unreachable(url: str, exc: OperationalError) -> None:
    fail(words()("cli.db.unreachable", url=masked_url(url), error=str(exc.orig)))


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


@app.command("upgrade", help=H("cli.db.upgrade"))
def upgrade_cmd() -> None:
    """Bring the schema up to date (Alembic `upgrade head`)."""
    url = settings().database_url
    path = sqlite_path(url)
    created = path is not None and not path.exists()
    engine = _engine(url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
        console.print(
            words()("cli.db.upgraded", before=before or "(empty)", after=after), markup=False
        )
    except OperationalError as exc:
        _unreachable(url, exc)
    finally:
        engine.dispose()
    if created and path is not None:
        new_database_notice(path)


@app.command("status", help=H("cli.db.status"))
def status_cmd(
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.db.status.as_json"))] = False,
) -> None:
    """Which database is in use: URL (password masked), backend, file and size (SQLite), schema revision against the latest, and how many plans, rounds and report slots it holds."""
    url = settings().database_url
    path = sqlite_path(url)
    engine = _engine(url)
    data: dict[str, object] = {
        "url": masked_url(url),
        "backend": engine.dialect.name,
        "driver": engine.dialect.driver,
        "file": str(path) if path is not None else None,
        "exists": path.exists() if path is not None else True,
        "size": path.stat().st_size if path is not None and path.exists() else None,
        "revision": None,
        "head": head_revision(engine),
        "counts": None,
    }
    try:
        if data["exists"]:
            data["revision"] = current_revision(engine)
            if data["revision"] is not None:
                with engine.connect() as conn:
                    counts = table_counts(conn)
                data["counts"] = {name: counts[name] for name in COUNTED}
    except OperationalError as exc:
        _unreachable(url, exc)
    finally:
        engine.dispose()
    data["up_to_date"] = data["revision"] == data["head"]
    if as_json:
        print_json(data)
        return
    t = words()
    lines = [
        t("cli.db.status.url", url=data["url"]),
        t("cli.db.status.backend", backend=data["backend"], driver=data["driver"]),
    ]
    if path is not None:
        lines.append(
            t("cli.db.status.file", path=str(path), size=_size(path))
            if path.exists()
            else t("cli.db.status.no_file", path=str(path))
        )
    if data["revision"] is None:
        lines.append(t("cli.db.status.no_schema", head=data["head"]))
    elif data["up_to_date"]:
        lines.append(t("cli.db.status.schema", revision=data["revision"]))
    else:
        lines.append(t("cli.db.status.schema_old", revision=data["revision"], head=data["head"]))
    if isinstance(data["counts"], dict):
        counted = tuple(t(f"cli.db.status.count.{k}", count=v) for k, v in data["counts"].items())
        lines.append(t("cli.db.status.counts", counts=counted))
    console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)


def _pg_dump_command(url: str, destination: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump's command line (libpq URL without the password) and its PGPASSWORD."""
    parsed = make_url(url)
    libpq = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    command = [
        "pg_dump",
        "--format=custom",
        f"--file={destination}",
        f"--dbname={libpq.render_as_string(hide_password=False)}",
    ]
    secret = {"PGPASSWORD": str(parsed.password)} if parsed.password else {}
    return command, secret


@app.command("backup", help=H("cli.db.backup"))
def backup_cmd(
    file: Annotated[Path, typer.Argument(help=H("cli.db.backup.file"))],
    force: Annotated[bool, typer.Option("--force", help=H("cli.db.backup.force"))] = False,
) -> None:
    """SQLite: a consistent copy of the live file (sqlite3's online backup API). PostgreSQL: runs pg_dump (custom format) when it is on PATH, else prints the command."""
    url = settings().database_url
    t = words()
    if file.exists() and not force:
        fail(t("cli.db.backup.exists", file=str(file)))
    path = sqlite_path(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        if path is None or not path.exists():
            fail(t("cli.db.backup.no_file", path=str(path or url)))
        engine = _engine(url)
        try:
            backup_sqlite(engine, file)
        finally:
            engine.dispose()
        console.print(
            t("cli.db.backup.done", file=str(file.resolve()), size=_size(file), path=str(path)),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    if backend != "postgresql":
        fail(t("cli.db.backup.unsupported", backend=backend))
    command, secret = _pg_dump_command(url, file)
    if shutil.which("pg_dump") is None:
        typer.echo(" ".join(shlex.quote(part) for part in command))
        fail(t("cli.db.backup.no_pg_dump"))
    done = subprocess.run(
        command, env={**os.environ, **secret}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        file.unlink(missing_ok=True)
        fail(t("cli.db.backup.pg_dump_failed", error=done.stderr.strip()))
    console.print(
        t("cli.db.backup.dumped", file=str(file.resolve()), size=_size(file), name=str(file)),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command("copy", help=H("cli.db.copy"))
def copy_cmd(
    to: Annotated[str, typer.Option("--to", help=H("cli.db.copy.to"))],
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.db.copy.as_json"))] = False,
) -> None:
    """Move the whole SQLite database (HOKOKU_DATABASE_URL) into an empty PostgreSQL database: migrate the target, copy every table in dependency order in one transaction, move the id sequences on. A target that already holds data is refused."""
    url = settings().database_url
    path = sqlite_path(url)
    t = words()
    if path is not None and not path.exists():
        fail(t("cli.db.copy.no_source", path=str(path)))
    source, target = _engine(url), _engine(to, name="--to")
    try:
        with user_errors():
            result = copy_database(source=source, target=target)
    except OperationalError as exc:
        fail(t("cli.db.copy.unreachable", url=masked_url(to), error=str(exc.orig)))
    finally:
        source.dispose()
        target.dispose()
    if as_json:
        print_json({"to": masked_url(to), "rows": result.rows, "total": result.total})
        return
    console.print(
        t(
            "cli.db.copy.done",
            source=masked_url(url),
            target=masked_url(to),
            total=result.total,
            tables=tuple(f"{name} {count}" for name, count in result.rows.items() if count),
        ),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command("prune", help=H("cli.db.prune"))
def prune_cmd(
    ctx: typer.Context,
    days: int | None = typer.Option(None, "--days", min=1, help=H("cli.db")),
) -> None:
    """Prune dedupe keys, expired conversation states and finished outbox rows of closed rounds (what `hokoku serve` does every hour; for cron set-ups)."""
    rt = runtime(ctx)
    retention = timedelta(days=days or rt.settings.retention_days)
    with writing(rt) as work:
        pruned = prune(work.session, now=utcnow(), retention=retention)
    console.print(
        words()(
            "cli.db.pruned",
            events=pruned.events,
            states=pruned.states,
            invite_failures=pruned.invite_failures,
            notifications=pruned.notifications,
            charts=pruned.charts,
        ),
        markup=False,
    )
