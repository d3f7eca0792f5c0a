"""`hokoku demo` end to end with piped stdin: sample plan → round → console, in a temp dir.

The demo always uses its own SQLite file, so this runs once (not per database backend).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

# A set HOKOKU_DATABASE_URL must not be touched by the demo.
ENV = {"HOKOKU_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/not_used"}


def run_demo(db_file: Path, *args: str, input: str) -> str:
    result = CliRunner().invoke(app, ["demo", "--db", str(db_file), *args], input=input, env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_demo_imports_opens_and_chats(tmp_path: Path) -> None:
    db_file = tmp_path / "demo.db"
    out = run_demo(db_file, input="1 B 市広報紙で周知した\n3 A 他課の項目\n状況\n")
    assert f"デモ用データベース: {db_file.resolve()}" in out
    assert "項目 7、担当課 9、報告枠 18" in out
    assert "これから 女性センター としてボットと話します" in out
    assert "  1 B 市広報紙で周知した（項目 1 に達成度 B とコメントを回答）" in out
    assert "・[1] 人権尊重の理念に基づいた意識の啓発 → B「市広報紙で周知した」 … 保存" in out
    assert "項目 3 は女性センターの担当ではありません" in out
    assert "回答 1/6件" in out
    assert db_file.exists()

    # Every run starts from scratch: the earlier answer is gone.
    again = run_demo(db_file, input="状況\n")
    assert "回答 0/6件" in again


def test_demo_as_the_office_or_another_department(tmp_path: Path) -> None:
    office = run_demo(tmp_path / "a.db", "--office", input="状況\n")
    assert "女性センター（事務局） としてボットと話します" in office
    assert "回答 0/18件" in office and "健康長寿課" in office

    other = run_demo(tmp_path / "b.db", "--dept", "総務人権推進課", input="未回答\n")
    assert "総務人権推進課: 未回答" in other


def test_demo_with_the_kiyose_sample(tmp_path: Path) -> None:
    out = run_demo(tmp_path / "k.db", "--sample", "kiyose", input="未回答\n")
    assert "項目 11、担当課 3、報告枠 11" in out
    assert "男女共同参画センター: 未回答 9件（全9件）" in out


def test_demo_refuses_an_unknown_sample(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "x.db"), "--sample", "tokyo"])
    assert result.exit_code == 1
    assert "tsurugashima / kiyose" in result.stderr


def test_demo_says_how_to_call_hokoku_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `make demo` only .venv/bin/hokoku exists: the hint must work as printed."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # the venv is not activated
    out = run_demo(tmp_path / "d.db", input="")
    installed = Path(sys.executable).parent / "hokoku"
    assert f"sqlite:///{(tmp_path / 'd.db').resolve()} {os.path.relpath(installed)} status" in out
