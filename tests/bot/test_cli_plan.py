"""`hokoku plan import/list/show` through the real Typer app against a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from models import Item, Plan
from tests.conftest import Db


@pytest.fixture
def cli(db: Db) -> CliRunner:
    return CliRunner(env={"HOKOKU_DATABASE_URL": db.url, "COLUMNS": "1000"})


def test_import_json_list_and_show(cli: CliRunner, db: Db, samples_dir: Path) -> None:
    result = cli.invoke(
        app,
        ["plan", "import", str(samples_dir / "nishitokyo_plan.csv"), "--name", "西東京", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with db.factory() as s:
        plan_id = s.scalar(select(Plan.id).where(Plan.name == "西東京"))
    assert {k: data[k] for k in ("plan", "items", "departments", "assignments")} == {
        "plan": plan_id,
        "items": 111,
        "departments": 35,
        "assignments": 216,
    }
    assert data["name"] == "西東京"

    tsuru = cli.invoke(
        app, ["plan", "import", str(samples_dir / "tsurugashima_results_excerpt.csv")]
    )
    assert tsuru.exit_code == 0, tsuru.output
    assert "無視した列" in tsuru.stdout and "E:達成度" in tsuru.stdout
    assert "取組項目" in tsuru.stdout and "18" in tsuru.stdout

    listed = cli.invoke(app, ["plan", "list"])
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.stdout.splitlines() if "西東京" in line]
    assert len(rows) == 1 and all(n in rows[0].split() for n in ["111", "35", "216", "0"])
    assert "tsurugashima_results_excerpt" in listed.stdout

    shown = cli.invoke(app, ["plan", "show", "西東京"])
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "基本目標 › 課題 › 施策 › 事業" in out
    assert "課題 I-1★ 男女の固定的性別役割分担意識の解消" in out
    assert "施策 (1) 男女平等参画推進のための意識啓発と情報提供" in out
    assert "1  ①情報誌パリティの発行と配布  協働コミュニティ課" in out
    assert "②情報の提供  協働コミュニティ課、秘書広報課、公民館、図書館" in out
    assert " 111  ②事業評価の実施" in out
    by_id = cli.invoke(app, ["plan", "show", str(plan_id)])
    assert by_id.exit_code == 0 and by_id.stdout == out


def test_bad_file_is_one_located_line_and_exit_1(cli: CliRunner, db: Db, tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("施策,取組項目,担当課\n(1) a,①啓発,女性センター\n,②広報,\n", encoding="utf-8")
    result = cli.invoke(app, ["plan", "import", str(path)])
    assert result.exit_code == 1
    assert "plan.csv 3行目 C列（担当課）:" in result.stderr
    assert "Traceback" not in result.output
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Plan)) == 0
        assert s.scalar(select(func.count()).select_from(Item)) == 0

    missing = cli.invoke(app, ["plan", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "見つかりません" in missing.stderr


def test_column_options(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(
        "分野,なにをするか,だれが,補助\nI 意識,1 広報,秘書広報課,女性センター\n", encoding="utf-8"
    )
    guessed = cli.invoke(app, ["plan", "import", str(path)])
    assert guessed.exit_code == 1 and "--item-column" in guessed.stderr
    result = cli.invoke(
        app,
        [
            "plan",
            "import",
            str(path),
            "--item-column",
            "なにをするか",
            "--department-column",
            "だれが",
            "--department-column",
            "D",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["items"], data["departments"], data["assignments"]) == (1, 2, 2)


def test_show_unknown_plan(cli: CliRunner) -> None:
    result = cli.invoke(app, ["plan", "show", "ない計画"])
    assert result.exit_code == 1
    assert "計画「ない計画」が見つかりません" in result.stderr
