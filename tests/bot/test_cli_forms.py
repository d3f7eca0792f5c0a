"""`hokoku round forms` and `hokoku round collect` options through the real CLI (both
databases): one department's form, the contact warning, folders, unreadable paths, another
department's form refused with --dept, JSON, English, and the zip the console offers."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from typer.testing import CliRunner, Result

from bot.cli import app
from handlers.reporting.inquiry import write_forms, zip_forms
from models.db import transaction
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan, open_test_round


def _cli(db: Db, *args: str, **env: str) -> Result:
    return CliRunner().invoke(
        app, list(args), env={"HOKOKU_DATABASE_URL": db.url, "COLUMNS": "250", **env}
    )


def _round(db: Db) -> int:
    with transaction(db.factory) as s:
        plan = build_plan(s, items=SMALL_PLAN)
        return open_test_round(s, plan, year=2024, deadline=date(2099, 5, 29)).id


def _fill(path: Path, grade: str, comment: str) -> None:
    book = load_workbook(path)
    ws = book.active
    for row in ws.iter_rows():  # type: ignore[union-attr]
        opened = [c for c in row if not c.protection.locked and not isinstance(c, MergedCell)]
        if isinstance(row[0].value, int):
            opened[0].value, opened[1].value = grade, comment
    book.save(path)


def test_one_department_a_folder_and_what_is_refused(db: Db, tmp_path: Path) -> None:
    _round(db)
    out = tmp_path / "forms"
    made = _cli(db, "round", "forms", "-o", str(out), "--dept", "職員課")
    assert made.exit_code == 0, made.output
    assert [p.name for p in out.iterdir()] == ["照会様式_令和6年度_職員課.xlsx"]
    assert "職員課.xlsx（1件、A4横 1ページ）" in made.stdout
    assert "HOKOKU_OFFICE_CONTACT が設定されていないため" in made.stderr
    form = out / "照会様式_令和6年度_職員課.xlsx"
    _fill(form, "A", "職員研修を2回実施")

    other = _cli(db, "round", "collect", str(out), "--dept", "女性センター")
    assert other.exit_code == 1
    assert "職員課の照会様式です（女性センターの様式ではありません）。" in other.stdout

    missing = tmp_path / "ない.xlsx"
    empty = tmp_path / "空"
    empty.mkdir()
    taken = _cli(db, "round", "collect", str(out), str(missing), str(empty), "--json")
    assert taken.exit_code == 1  # the missing file
    data = json.loads(taken.stdout)
    assert [(f["file"], f["refused"], f["stored"]) for f in data["files"]] == [
        (str(missing), True, 0),
        ("照会様式_令和6年度_職員課.xlsx", False, 1),
    ]
    assert data["files"][0]["problems"][0].startswith("ファイルを開けません")
    assert data["written"] == 1
    assert f"{empty} に .xlsx ファイルがありません。" in taken.stderr

    status = json.loads(_cli(db, "status", "--json").stdout)
    assert status["channels"] == {"excel": 1}


def test_in_english(db: Db, tmp_path: Path) -> None:
    _round(db)
    env = {"HOKOKU_LANGUAGE": "en", "HOKOKU_OFFICE_CONTACT": "Equality Office, ext. 1234"}
    made = _cli(db, "round", "forms", "-o", str(tmp_path), **env)
    assert made.exit_code == 0, made.output
    assert "for 3 departments" in made.stdout and made.stderr == ""
    form = tmp_path / "inquiry_FY2024_女性センター.xlsx"
    rows = [[c.value for c in row] for row in load_workbook(form)["Answers"].iter_rows()]
    assert rows[2][0] == "From: Equality Office, ext. 1234"
    _fill(form, "E", "")
    refused = _cli(db, "round", "collect", str(form), **env)
    assert refused.exit_code == 1
    assert refused.stdout.splitlines()[:3] == [  # every wrong cell, one per line
        f"{form.name}: not accepted — 2 cells to correct:",
        "  Answers!C11: “E” is not a grade of this round (choose one of A／B／C／D)",
        "  Answers!C12: “E” is not a grade of this round (choose one of A／B／C／D)",
    ]


def test_the_zip_of_every_form(db: Db) -> None:
    round_id = _round(db)
    with db.factory() as s:
        forms = write_forms(s, round_id=round_id)
    with zipfile.ZipFile(io.BytesIO(zip_forms(forms))) as archive:
        assert archive.namelist() == [f.filename for f in forms]
        assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
        assert archive.read(forms[0].filename) == forms[0].data
