"""`hokoku db status / backup / copy` and the notice when a command creates a SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import make_url
from typer.testing import CliRunner

from bot.cli import app
from models.db import head_revision, make_engine
from models.transfer import table_counts
from tests.conftest import Db
from tests.scratch_postgres import scratch_database


def run(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"HOKOKU_DATABASE_URL": url, **(env or {})})


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(autouse=True)
def own_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env, relative SQLite files land here


def populate(url: str, sample: Path) -> None:
    ok(run(url, "plan", "import", str(sample), "--name", "清瀬"))
    ok(run(url, "round", "open", "--plan", "清瀬", "--year", "2023", "--deadline", "+4w"))
    dept = "男女共同参画センター"
    ok(
        run(
            url,
            "report",
            "set",
            "--dept",
            dept,
            "--item",
            "1",
            "--grade",
            "B",
            "--comment",
            "=講座",
        )
    )
    ok(run(url, "report", "set", "--dept", dept, "--item", "1", "--grade", "A"))
    ok(
        run(
            url, "report", "set", "--dept", dept, "--item", "2", "--grade", "C", "--comment", "未達"
        )
    )
    ok(run(url, "dept", "invite", dept))


@pytest.fixture
def kiyose(samples_dir: Path) -> Path:
    return samples_dir / "kiyose_plan.csv"


# --- which database / new file notice ---------------------------------------------------


def test_status_of_a_missing_sqlite_file_does_not_create_it(tmp_path: Path) -> None:
    result = ok(run("sqlite:///office.db", "db", "status"))
    assert f"ファイル: {tmp_path / 'office.db'}（まだありません" in result.stdout
    assert "スキーマ: なし" in result.stdout
    assert not (tmp_path / "office.db").exists()


def test_a_command_that_creates_a_sqlite_file_says_so_once(tmp_path: Path) -> None:
    first = ok(run("sqlite:///office.db", "plan", "list"))
    assert f"新しいデータベースを作りました: {tmp_path / 'office.db'}" in first.stderr
    assert "計画はまだありません" in first.stdout
    again = ok(run("sqlite:///office.db", "plan", "list"))
    assert "新しいデータベース" not in again.stderr


def test_db_upgrade_on_a_new_file_says_so(tmp_path: Path) -> None:
    result = ok(run("sqlite:///fresh.db", "db", "upgrade"))
    assert f"→ {head_revision(make_engine('sqlite://'))}" in result.stdout
    assert "新しいデータベースを作りました" in result.stderr


def test_status_shows_url_backend_schema_and_counts(db: Db, kiyose: Path) -> None:
    populate(db.url, kiyose)
    url = db.url
    if db.engine.dialect.name == "postgresql":
        url = make_url(db.url).set(password="hunter2").render_as_string(hide_password=False)
    data = json.loads(ok(run(url, "db", "status", "--json")).stdout)
    head = head_revision(db.engine)
    assert (data["revision"], data["head"], data["up_to_date"]) == (head, head, True)
    assert data["backend"] == db.engine.dialect.name
    assert data["counts"] == {"plans": 1, "rounds": 1, "reports": 11, "departments": 3}
    assert "hunter2" not in json.dumps(data)
    shown = ok(run(url, "db", "status")).stdout
    assert "hunter2" not in shown and f"スキーマ: {head}（最新）" in shown
    assert "件数: 計画 1、回 1、報告枠 11、担当課 3" in shown
    if db.engine.dialect.name == "sqlite":
        path = make_url(db.url).database
        assert data["file"] == path and data["size"] == Path(str(path)).stat().st_size
        assert f"ファイル: {path}（" in shown
    else:
        assert ":***@" in data["url"] and data["file"] is None


def test_unreadable_database_url_is_one_line() -> None:
    result = run("nonsense://", "plan", "list")
    assert result.exit_code == 1
    assert "HOKOKU_DATABASE_URL「nonsense://」を読み取れません" in result.stderr


# --- backup ------------------------------------------------------------------------------


def test_sqlite_backup_is_a_consistent_copy(tmp_path: Path, kiyose: Path) -> None:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    populate(url, kiyose)
    result = ok(run(url, "db", "backup", "backup.db"))
    assert f"バックアップしました: {tmp_path / 'backup.db'}" in result.stdout
    with sqlite3.connect(tmp_path / "backup.db") as copy:
        assert copy.execute("SELECT count(*) FROM report_revisions").fetchone() == (3,)
    again = run(url, "db", "backup", "backup.db")
    assert again.exit_code == 1 and "すでにあります" in again.stderr
    ok(run(url, "db", "backup", "backup.db", "--force"))
    # The backup is a working database of its own.
    status = json.loads(ok(run(f"sqlite:///{tmp_path / 'backup.db'}", "status", "--json")).stdout)
    assert status["submitted"] == 2


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    return postgres_url


def test_postgres_backup_runs_pg_dump(pg_url: str, tmp_path: Path) -> None:
    result = ok(run(pg_url, "db", "backup", "dump.pgc"))
    assert "pg_dump" in result.stdout
    assert (tmp_path / "dump.pgc").read_bytes()[:5] == b"PGDMP"  # custom format


def test_postgres_backup_without_pg_dump_prints_the_command(pg_url: str, tmp_path: Path) -> None:
    secret = make_url(pg_url).set(password="hunter2").render_as_string(hide_password=False)
    result = run(secret, "db", "backup", "dump.pgc", env={"PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "pg_dump --format=custom --file=dump.pgc --dbname=postgresql://"
    )
    assert "hunter2" not in result.output
    assert "pg_dump が見つかりません" in result.stderr and "PGPASSWORD" in result.stderr


# --- copy SQLite → PostgreSQL ------------------------------------------------------------


@pytest.fixture
def empty_postgres(postgres_url: str) -> Iterator[str]:
    """A brand-new, empty PostgreSQL database (no schema), dropped afterwards."""
    with scratch_database(postgres_url, prefix="hokoku_copy") as url:
        yield url


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return table_counts(conn)
    finally:
        engine.dispose()


def test_copy_moves_everything_into_an_empty_postgres(
    tmp_path: Path, kiyose: Path, empty_postgres: str
) -> None:
    source = f"sqlite:///{tmp_path / 'office.db'}"
    populate(source, kiyose)
    before = counts(source)
    status_before = ok(run(source, "status", "--json")).stdout
    ok(run(source, "export", "-o", "before.csv"))

    result = ok(run(source, "db", "copy", "--to", empty_postgres, "--json"))
    copied = json.loads(result.stdout)["rows"]
    assert copied == before and copied["report_revisions"] == 3 and copied["invite_codes"] == 1

    assert counts(empty_postgres) == before
    assert ok(run(empty_postgres, "status", "--json")).stdout == status_before
    ok(run(empty_postgres, "export", "-o", "after.csv"))
    assert (tmp_path / "after.csv").read_bytes() == (tmp_path / "before.csv").read_bytes()

    # The id sequences moved on: new rows insert without colliding.
    dept = "男女共同参画センター"
    ok(run(empty_postgres, "report", "set", "--dept", dept, "--item", "1", "--grade", "C"))
    ok(run(empty_postgres, "dept", "invite", dept))
    ok(run(empty_postgres, "plan", "import", str(kiyose), "--name", "清瀬その2"))

    # A target that holds data is refused, and nothing is written to it.
    now = counts(empty_postgres)
    again = run(source, "db", "copy", "--to", empty_postgres)
    assert again.exit_code == 1
    assert "コピー先のデータベースは空ではありません" in again.stderr
    assert "Traceback" not in again.output
    assert counts(empty_postgres) == now


def test_copy_refuses_a_target_that_is_not_postgres(tmp_path: Path, kiyose: Path) -> None:
    source = f"sqlite:///{tmp_path / 'office.db'}"
    populate(source, kiyose)
    result = run(source, "db", "copy", "--to", f"sqlite:///{tmp_path / 'other.db'}")
    assert result.exit_code == 1 and "--to には PostgreSQL の URL" in result.stderr
    bad = run(source, "db", "copy", "--to", "not a url")
    assert bad.exit_code == 1 and "--to「not a url」を読み取れません" in bad.stderr
