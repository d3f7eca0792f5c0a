"""`hokoku status` and `hokoku export` through the real CLI against a committed database."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from bot.cli import app
from handlers.organization.directory import find_department
from handlers.reporting.reports import submit_answer
from models import Round
from models.db import transaction
from tests.conftest import Db
from tests.factories import build_plan, open_test_round


def _invoke(db: Db, *args: str) -> Result:
    # A wide terminal, so that rich does not wrap the messages the tests look for.
    env = {"HOKOKU_DATABASE_URL": db.url, "HOKOKU_ORGANIZATION": "default", "COLUMNS": "1000"}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _round(db: Db, *, deadline: date = date(2024, 5, 31)) -> int:
    """Three items, four slots; 女性センター answered both of its items, 職員課 its one."""
    with transaction(db.factory) as s:
        plan = build_plan(
            s,
            items=[
                ("周知", ["女性センター", "秘書広報課"]),
                ("講座", ["女性センター"]),
                ("研修", ["職員課"]),
            ],
        )
        info = open_test_round(s, plan, deadline=deadline)
        org = plan.organization_id
        for dept, number, grade, comment, channel in [
            ("女性センター", 1, "C", "広報紙に掲載", "slack"),
            ("女性センター", 1, "B", "広報紙に2回掲載", "excel"),  # revised on the form
            ("女性センター", 2, "A", "講座を開催", "slack"),
            ("職員課", 3, "B", "", "office"),
        ]:
            submit_answer(
                s,
                round_id=info.id,
                department_id=find_department(s, organization_id=org, name=dept).id,
                item_number=number,
                grade=grade,
                comment=comment,
                reporter="test",
                channel=channel,
            )
        return info.id


def test_status_json_numbers(db: Db) -> None:
    round_id = _round(db)
    result = _invoke(db, "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["round"], data["total"], data["submitted"], data["percent"]) == (
        round_id,
        4,
        3,
        75.0,
    )
    assert data["grades"] == {"A": 1, "B": 2, "C": 0, "D": 0}
    # The deadline (2024-05-31) has passed: 秘書広報課's open slot is overdue.
    # Who answered how (the current answer's channel): who still needs a phone call.
    assert data["departments"] == [
        {
            "name": "女性センター",
            "total": 2,
            "submitted": 2,
            "overdue": 0,
            "channels": {"excel": 1, "slack": 1},
        },
        {"name": "秘書広報課", "total": 1, "submitted": 0, "overdue": 1, "channels": {}},
        {"name": "職員課", "total": 1, "submitted": 1, "overdue": 0, "channels": {"office": 1}},
    ]
    assert data["channels"] == {"excel": 1, "office": 1, "slack": 1}

    one = json.loads(_invoke(db, "status", "--dept", "秘書広報課", "--json").stdout)
    assert (one["total"], one["submitted"], one["departments"][0]["overdue"]) == (1, 0, 1)
    by_id = json.loads(_invoke(db, "status", "--round", str(round_id), "--json").stdout)
    assert by_id["submitted"] == 3


def test_status_table_lists_overdue_departments_first(db: Db) -> None:
    _round(db)
    result = _invoke(db, "status")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "令和5年度 テスト計画" in out
    assert "締切 2024-05-31（締切を" in out
    assert "回答 3 / 4 件（75.0%）" in out
    assert out.index("秘書広報課") < out.index("女性センター") < out.index("職員課")
    assert "締切後の未回答: 1課・1件" in out
    assert "基本目標別" in out and "I 目標" in out
    assert "回答方法: Excel 1、代理入力 1、Slack 1" in out
    lines = out.splitlines()
    assert "回答方法" in next(line for line in lines if "担当課" in line and "未回答" in line)
    assert "Excel 1、Slack 1" in next(line for line in lines if "女性センター" in line)
    assert "代理入力 1" in next(line for line in lines if "職員課" in line)


def test_status_before_deadline_has_no_overdue(db: Db) -> None:
    _round(db, deadline=date(2099, 3, 31))
    data = json.loads(_invoke(db, "status", "--json").stdout)
    assert [d["overdue"] for d in data["departments"]] == [0, 0, 0]
    out = _invoke(db, "status").stdout
    assert "あと" in out and "締切後の未回答" not in out


def test_status_unknown_department(db: Db) -> None:
    _round(db)
    result = _invoke(db, "status", "--dept", "存在しない課")
    assert result.exit_code == 1
    assert "担当課「存在しない課」が見つかりません" in result.stderr


def test_export_xlsx_and_csv(db: Db, tmp_path: Path) -> None:
    _round(db)
    xlsx = tmp_path / "達成状況一覧.xlsx"
    result = _invoke(db, "export", "-o", str(xlsx))
    assert result.exit_code == 0, result.output
    said = result.stdout.replace("\n", "")
    assert "4行、未回答 1件、A4横 3ページ: 達成状況一覧・まとめ" in said  # table 1, まとめ 2
    book = load_workbook(xlsx)
    assert book.sheetnames == ["達成状況一覧", "まとめ"]  # no indicators, no evaluations
    ws = book["達成状況一覧"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=4)] == [
        ["基本目標", "取組項目", "担当課（R5）", "達成度（R5）", "取組計画と達成状況（R5）"],
        ["I 目標", "1 周知", "女性センター", "B", "・広報紙に2回掲載"],
        [None, None, "秘書広報課", None, None],
        [None, "2 講座", "女性センター", "A", "・講座を開催"],
        [None, "3 研修", "職員課", "B", None],
    ]
    assert not list(tmp_path.glob(".*partial"))

    out = tmp_path / "result.CSV"  # the extension is matched case-insensitively
    assert _invoke(db, "export", "--output", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["基本目標", "取組項目", "担当課", "達成度", "取組計画と達成状況"],
            ["I 目標", "1 周知", "女性センター", "B", "・広報紙に2回掲載"],
            ["", "", "秘書広報課", "", ""],
            ["", "2 講座", "女性センター", "A", "・講座を開催"],
            ["", "3 研修", "職員課", "B", ""],
        ]


@pytest.mark.parametrize("name", ["result.pdf", "result", "result.xls"])
def test_export_rejects_unknown_extension(db: Db, tmp_path: Path, name: str) -> None:
    _round(db)
    result = _invoke(db, "export", "-o", str(tmp_path / name))
    assert result.exit_code == 1
    assert "拡張子を .xlsx か .csv にしてください" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_into_missing_folder_fails_clearly(db: Db, tmp_path: Path) -> None:
    _round(db)
    result = _invoke(db, "export", "-o", str(tmp_path / "nope" / "a.xlsx"))
    assert result.exit_code == 1
    assert "書き出せません" in result.stderr


def test_no_round_yet(db: Db, tmp_path: Path) -> None:
    for args in (["export", "-o", str(tmp_path / "a.xlsx")], ["status", "--json"]):
        result = _invoke(db, *args)
        assert result.exit_code == 1
        assert "回がまだありません。hokoku round open で回を開いてください" in result.stderr
    assert list(tmp_path.iterdir()) == []
    missing = _invoke(db, "export", "--round", "999", "-o", str(tmp_path / "a.csv"))
    assert missing.exit_code == 1 and "回 999 が見つかりません" in missing.stderr


def _last_year(db: Db, round_id: int) -> None:
    """FY2022 of the same plan: 女性センター had C and A, 職員課 B (秘書広報課 never answered)."""
    with transaction(db.factory) as s:
        rnd = s.get_one(Round, round_id)
        before = open_test_round(s, rnd.plan, year=2022)
        org = rnd.plan.organization_id
        for dept, number, grade in [
            ("女性センター", 1, "C"),
            ("女性センター", 2, "A"),
            ("職員課", 3, "B"),
        ]:
            submit_answer(
                s,
                round_id=before.id,
                department_id=find_department(s, organization_id=org, name=dept).id,
                item_number=number,
                grade=grade,
                comment="",
                reporter="test",
                channel="cli",
            )


def test_status_compare_with_the_previous_round(db: Db) -> None:
    round_id = _round(db)
    missing = _invoke(db, "status", "--compare")
    assert missing.exit_code == 1 and "比較できません" in missing.stderr
    _last_year(db, round_id)
    rid = str(round_id)  # the FY2022 round opened last is now the latest open one
    data = json.loads(_invoke(db, "status", "--round", rid, "--compare", "--json").stdout)
    assert data["compare"]["previous_label"] == "令和4年度"
    # This year: 女性センター 1 B (was C: rose), 2 A (was A: same); 職員課 3 B (same);
    # 秘書広報課 unanswered in both years.
    assert data["compare"]["total"] == {
        "name": "合計",
        "rose": 1,
        "fell": 0,
        "same": 2,
        "unmatched": 1,
    }
    assert [d["name"] for d in data["compare"]["departments"]] == [
        "女性センター",
        "秘書広報課",
        "職員課",
    ]
    out = _invoke(db, "status", "--round", rid, "--compare").stdout
    assert "前回（令和4年度" in out and "上がった" in out and "担当課別" in out


def test_export_with_label_and_previous_grades(db: Db, tmp_path: Path) -> None:
    round_id = _round(db)
    _last_year(db, round_id)
    xlsx = tmp_path / "handout.xlsx"
    result = _invoke(
        db, "export", "-o", str(xlsx), "--round", str(round_id), "--label", " 資料3 ", "--previous"
    )
    assert result.exit_code == 0, result.output
    ws = load_workbook(xlsx)["達成状況一覧"]
    assert ws["F1"].value == "資料3"
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=5)] == [
        [
            "基本目標",
            "取組項目",
            "担当課（R5）",
            "達成度（R4）",
            "達成度（R5）",
            "取組計画と達成状況（R5）",
        ],
        ["I 目標", "1 周知", "女性センター", "C", "B", "・広報紙に2回掲載"],
        [None, None, "秘書広報課", None, None, None],
        [None, "2 講座", "女性センター", "A", "A", "・講座を開催"],
        [None, "3 研修", "職員課", "B", "B", None],
    ]
    csv_out = tmp_path / "data.csv"
    assert _invoke(db, "export", "-o", str(csv_out), "--previous").exit_code == 0  # FY2022
    with csv_out.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.reader(handle)) == [
            "基本目標",
            "取組項目",
            "担当課",
            "前年度達成度",
            "達成度",
            "取組計画と達成状況",
        ]


def test_export_label_and_pdf_need_xlsx(db: Db, tmp_path: Path) -> None:
    _round(db)
    for args in (["--label", "資料3"], ["--pdf"]):
        result = _invoke(db, "export", "-o", str(tmp_path / "a.csv"), *args)
        assert result.exit_code == 1
        assert "XLSX の出力にだけ使えます" in result.stderr
    too_long = _invoke(db, "export", "-o", str(tmp_path / "a.xlsx"), "--label", "資" * 21)
    assert too_long.exit_code == 1 and "20文字以内" in too_long.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_pdf_without_libreoffice_is_one_clear_line(
    db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _round(db)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = _invoke(db, "export", "-o", str(tmp_path / "a.xlsx"), "--pdf")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "soffice が見つかりません" in result.stderr
    assert (tmp_path / "a.xlsx").is_file() and not (tmp_path / "a.pdf").exists()
