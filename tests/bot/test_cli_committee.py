"""The committee's year through the real CLI on a committed database (SQLite and PostgreSQL):
last year's results, a new plan period, indicators, evaluations, summary and charts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import app
from handlers.organization.directory import find_department
from handlers.reporting.reports import department_slots
from handlers.reporting.rounds import VIEW, resolve_round
from models import Organization
from tests.conftest import Db

SAMPLE = "tsurugashima_results_excerpt.csv"


def _invoke(db: Db, *args: str) -> Result:
    env = {"HOKOKU_DATABASE_URL": db.url, "HOKOKU_ORGANIZATION": "default", "COLUMNS": "1000"}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _ok(db: Db, *args: str) -> Result:
    result = _invoke(db, *args)
    assert result.exit_code == 0, result.output
    return result


def _json(db: Db, *args: str) -> dict[str, object]:
    return json.loads(_ok(db, *args, "--json").stdout)


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_last_years_results_export_and_show_as_previous(
    db: Db, samples_dir: Path, tmp_path: Path
) -> None:
    sample = samples_dir / SAMPLE
    _ok(db, "plan", "import", str(sample), "--name", "第4次")
    imported = _json(
        db, "round", "import-results", str(sample), "--plan", "第4次", "--year", "2023"
    )
    assert (imported["label"], imported["answered"], imported["comments"]) == ("令和5年度", 18, 7)
    out = tmp_path / "r5.csv"
    _ok(db, "export", "--round", str(imported["round"]), "-o", str(out))
    got, want = _read(out), _read(sample)
    assert [row[4] for row in got] == [row[4] for row in want]  # every grade cell
    assert [row[5] for row in got[1:]] == [f"・{row[5]}" if row[5] else "" for row in want[1:]]
    # The handout too: the same cells (merged blocks read as "blank = same as above").
    handout = tmp_path / "r5.xlsx"
    _ok(db, "export", "--round", str(imported["round"]), "-o", str(handout))
    grid = [
        ["" if cell is None else cell for cell in row]
        for row in load_workbook(handout)["達成状況一覧"].iter_rows(values_only=True)
    ]
    body = grid[next(i for i, row in enumerate(grid) if row[0] == "基本目標") + 1 :]
    assert [row[:5] for row in body] == [row[:5] for row in want[1:]]
    assert [row[5] for row in body] == [f"・{row[5]}" if row[5] else "" for row in want[1:]]

    _ok(
        db,
        "round",
        "open",
        "--plan",
        "第4次",
        "--year",
        "2024",
        "--deadline",
        "2025-05-31",
        "--opens",
        "2025-04-01",
    )
    _ok(db, "report", "set", "--dept", "女性センター", "--item", "1", "--grade", "A")
    # Next year's table shows the imported grades as 前年度 (CSV and handout).
    previous = tmp_path / "r6.csv"
    _ok(db, "export", "--previous", "-o", str(previous))
    assert [row[4] for row in _read(previous)] == ["前年度達成度"] + [row[4] for row in want[1:]]
    handout = tmp_path / "r6.xlsx"
    _ok(db, "export", "--previous", "-o", str(handout))
    grid = list(load_workbook(handout)["達成状況一覧"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(grid) if row[0] == "基本目標")
    assert grid[header][4:6] == ("達成度（R5）", "達成度（R6）")
    assert [row[4] for row in grid[header + 1 :]] == [row[4] for row in want[1:]]
    with db.factory() as session:
        org = session.scalars(select(Organization)).one().id
        rnd = resolve_round(session, organization_id=org, ref=None, purpose=VIEW)
        center = find_department(session, organization_id=org, name="女性センター")
        first = department_slots(session, round_id=rnd.id, department_id=center.id)[0]
        assert (first.grade, first.previous_grade, first.previous_comment) == ("A", "B", want[1][5])

    summary = _json(db, "status", "--summary")
    assert summary["summary"]["ja"][0] == (  # type: ignore[index]
        "全18件のうちA・B評価は1件（6%）、前年度から1件上昇（未回答 17件）"
    )
    english = _ok(db, "status", "--summary", "--lang", "en").stdout
    assert "1 of 18 entries (6%) graded A or B; 1 improved on last year" in english

    png = tmp_path / "yoy.png"
    said = _ok(db, "chart", "--kind", "yoy", "-o", str(png)).stdout
    assert png.read_bytes().startswith(b"\x89PNG") and "グラフを書き出しました" in said

    edited = _json(db, "plan", "edit", "第4次", "--evaluation-level", "施策", "--good-grades", "A")
    assert (edited["evaluation_level"], edited["good_grades"]) == (2, ["A"])
    stored = _json(
        db,
        "evaluation",
        "set",
        "I-1",
        "--grade",
        "B",
        "--comment",
        "概ね順調",
        "--proposal",
        "若年層へ",
    )
    assert stored["status"] == "stored"
    listed = _json(db, "evaluation", "list")
    rows = listed["rows"]
    assert isinstance(rows, list) and rows[0]["grade"] == "B" and rows[1]["grade"] is None

    # The committee's document: its grade beside the items and on its own sheet once recorded;
    # with --lang en every word of it in English.
    document = tmp_path / "委員会資料.xlsx"
    said = _ok(db, "export", "-o", str(document), "--lang", "en").stdout.replace("\n", "")
    assert "Progress report・Summary・Committee evaluation" in said
    book = load_workbook(document)
    assert book.sheetnames == ["Progress report", "Summary", "Committee evaluation"]
    grid = list(book["Progress report"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(grid) if row[0] == "基本目標")
    assert grid[header][5] == "Committee evaluation" and grid[header + 1][5] == "B"
    summary_sheet = [row[0] for row in book["Summary"].iter_rows(values_only=True) if row[0]]
    assert "1 of 18 entries (6%) graded A; 1 improved on last year (17 not answered yet)" in (
        summary_sheet
    )
    plain = tmp_path / "表のみ.xlsx"
    _ok(db, "export", "-o", str(plain), "--no-evaluation")
    assert load_workbook(plain).sheetnames == ["達成状況一覧", "まとめ"]
    data = tmp_path / "data.csv"
    _ok(db, "export", "-o", str(data))
    assert _read(data)[0][5] == "委員会評価" and _read(data)[1][5] == "B"
    _ok(db, "export", "-o", str(data), "--lang", "en")
    assert _read(data)[0][3:7] == [
        "Department",
        "Grade",
        "Committee evaluation",
        "Plans and progress",
    ]


def test_bad_results_file_is_one_line_and_writes_nothing(
    db: Db, samples_dir: Path, tmp_path: Path
) -> None:
    _ok(db, "plan", "import", str(samples_dir / SAMPLE), "--name", "第4次")
    rows = _read(samples_dir / SAMPLE)
    rows[2][3] = "存在しない課"
    rows[3][4] = "Z"
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = _invoke(db, "round", "import-results", str(bad), "--plan", "第4次", "--year", "2023")
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith("エラー: bad.csv を取り込めません") and "\n" not in message
    assert "3行目: 担当課「存在しない課」" in message and "4行目: 達成度「Z」" in message
    assert _json(db, "round", "list") == []  # type: ignore[comparison-overlap]


def test_a_new_plan_period_continues_the_old_one(db: Db, tmp_path: Path) -> None:
    old = tmp_path / "6th.csv"
    old.write_text(
        "基本目標,取組項目,担当課,達成度,取組計画と達成状況\n"
        "I 意識,1 広報紙で周知,女性センター,B,年4回掲載\n"
        ",2 講座,女性センター,C,2回開催\n",
        encoding="utf-8",
    )
    new = tmp_path / "7th.csv"
    new.write_text(
        "基本目標,取組項目,担当課\nI 意識,1 講座の開催,女性センター\n,2 広報紙で周知,女性センター\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.csv"
    mapping.write_text("旧番号,新番号\n2,1\n", encoding="utf-8")
    _ok(db, "plan", "import", str(old), "--name", "第6次")
    _ok(db, "round", "import-results", str(old), "--plan", "第6次", "--year", "2025")
    imported = _json(
        db,
        "plan",
        "import",
        str(new),
        "--name",
        "第7次",
        "--continues",
        "第6次",
        "--map",
        str(mapping),
    )
    assert imported["lineage"] == {
        "continues": "第6次",
        "by_map": 1,
        "by_title": 1,
        "kept": 0,
        "unlinked": [],
    }
    _ok(
        db,
        "round",
        "open",
        "--plan",
        "第7次",
        "--year",
        "2026",
        "--deadline",
        "2027-05-31",
        "--opens",
        "2027-04-01",
    )
    with db.factory() as session:
        org = session.scalars(select(Organization)).one().id
        rnd = resolve_round(session, organization_id=org, ref=None, purpose=VIEW)
        center = find_department(session, organization_id=org, name="女性センター")
        slots = department_slots(session, round_id=rnd.id, department_id=center.id)
        assert [(s.item_title, s.previous_grade, s.previous_comment) for s in slots] == [
            ("講座の開催", "C", "2回開催"),
            ("広報紙で周知", "B", "年4回掲載"),
        ]
    # Re-importing the new plan without options keeps its links.
    again = _json(db, "plan", "import", str(new), "--name", "第7次")
    assert again["lineage"]["kept"] == 2  # type: ignore[index]


def test_indicators_import_set_and_list(db: Db, samples_dir: Path, tmp_path: Path) -> None:
    _ok(db, "plan", "import", str(samples_dir / "kiyose_plan.csv"), "--name", "清瀬")
    imported = _json(
        db, "indicator", "import", str(samples_dir / "kiyose_indicators.csv"), "--plan", "清瀬"
    )
    assert (imported["indicators"], imported["added"]) == (2, 2)
    _ok(
        db,
        "round",
        "open",
        "--plan",
        "清瀬",
        "--year",
        "2023",
        "--deadline",
        "2024-05-31",
        "--opens",
        "2024-04-01",
    )
    first = _json(db, "indicator", "set", "16", "62.3", "--dept", "男女共同参画センター")
    assert (first["status"], first["revision"]) == ("stored", 1)
    assert _json(db, "indicator", "set", "16", "64")["status"] == "revised"
    listed = _json(db, "indicator", "list")
    sixteen, seventeen = listed["indicators"]  # type: ignore[misc]
    assert (sixteen["value"], sixteen["progress"], sixteen["on_track"]) == (64.0, 23.4, False)
    assert sixteen["baseline"] == {"year": 2016, "value": 59.1}
    assert sixteen["target"] == {"year": 2027, "value": 80.0}
    assert seventeen["value"] is None
    table = _ok(db, "indicator", "list").stdout
    assert "64%" in table and "遅れ" in table
    refused = _invoke(db, "indicator", "set", "17", "120")
    assert refused.exit_code == 1 and "0〜100" in refused.stderr

    # The values appear in status (text and JSON) and in the export, with their progress.
    status = _json(db, "status")
    assert status["indicators"] == listed["indicators"]
    said = _ok(db, "status").stdout
    assert "指標（基準値→目標値の進捗）" in said and "23.4%" in said and "遅れ" in said
    own = _json(db, "status", "--dept", "男女共同参画センター")
    assert [i["number"] for i in own["indicators"]] == ["16", "17"]  # type: ignore[union-attr]
    handout = tmp_path / "清瀬.xlsx"
    _ok(db, "export", "-o", str(handout))
    ws = load_workbook(handout)["指標"]
    rows = [[c for c in row] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert rows[0] == [
        "番号",
        "指標",
        "単位",
        "基準年度",
        "基準値",
        "目標年度",
        "目標値",
        "実績（R5）",
        "進捗率",
        "目安",
        "状況",
        "所管",
    ]
    assert rows[1] == [
        "16",
        "男女共同参画センター（アイレック）の認知度",
        "%",
        "平成28年度",
        59.1,
        "令和9年度",
        80,
        64,
        23.4,
        sixteen["expected"],
        "遅れ",
        "男女共同参画センター",
    ]
    assert rows[2][4:9] == [41.4, "令和9年度", 60, "—", "—"]
