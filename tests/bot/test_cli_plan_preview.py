"""`hokoku plan import --dry-run` and the import of printed layouts through the real CLI on a
committed database (SQLite and PostgreSQL): the preview stores nothing, the import says how
it read the table, an answer by number lands on the right item, and the CLI speaks English
with HOKOKU_LANGUAGE=en."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from bot.cli import app
from models import Department, Item, Plan, Report, Round
from tests.conftest import Db
from tests.handlers.plan.layouts import write_table
from tests.handlers.plan.test_plan_layouts import PASTED, TWO_LINE, TWO_LINE_MERGES

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _invoke(db: Db, *args: str, language: str = "ja") -> Result:
    env = {
        "HOKOKU_DATABASE_URL": db.url,
        "HOKOKU_ORGANIZATION": "default",
        "HOKOKU_LANGUAGE": language,
        "COLUMNS": "200",
    }
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _ok(db: Db, *args: str, language: str = "ja") -> str:
    result = _invoke(db, *args, language=language)
    assert result.exit_code == 0, result.output
    return result.stdout


def _counts(db: Db) -> tuple[int, int, int]:
    with db.factory() as s:
        return (
            s.scalar(select(func.count()).select_from(Plan)) or 0,
            s.scalar(select(func.count()).select_from(Item)) or 0,
            s.scalar(select(func.count()).select_from(Department)) or 0,
        )


DRY_RUN = """\
取り込みの確認（まだ何も保存していません）: 実施計画.xlsx → 計画「実施計画」（新規作成）
シート: 事業一覧
見出し: 3〜4行目（2行を1つの見出しとして読みました）
列の読み方:
  A 基本目標 → 階層1「基本目標」（取組項目の列より左）
  B 施策 → 階層2「施策」（取組項目の列より左）
  C 事業コード → 項目の番号（見出し「事業コード」）
  D 事業名 → 取組項目（見出し「事業名」）
  E 担当課 → 担当課（見出し「担当課」）
  F 備考 → 取り込まない（取組項目・担当課・内容のどの見出しでもない）
読み飛ばした行（1）:
  1行目 見出しより上の表題など: 第3次男女共同参画推進計画 実施計画
階層: 基本目標 › 施策 › 事業名
項目番号: 表の番号
取り込まれる計画:
  基本目標 Ⅰ 人権の尊重
    施策 1 意識啓発
      11101  11101 啓発パネル展  [人権政策課]
      11102  11102 人権講演会  [人権政策課、公民館]
    施策 2 教育
      11201  11201 男女平等教育  [指導室]
  基本目標 Ⅱ 働く場
    施策 1 就労
      12101  12101 就職支援セミナー  [産業振興課]
取組項目 4、担当課 4（新規 4）、担当（項目×担当課）5
新しく登録する担当課: 人権政策課、公民館、指導室、産業振興課
取り込むには、--dry-run を外して同じコマンドを実行してください。
"""


def test_dry_run_prints_the_reading_and_the_tree_and_stores_nothing(db: Db, tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "実施計画.xlsx",
        TWO_LINE,
        merges=TWO_LINE_MERGES,
        merge_down=[0, 1],
        data_column=4,
    )
    assert _ok(db, "plan", "import", str(path), "--dry-run") == DRY_RUN
    assert _counts(db) == (0, 0, 0)

    data = json.loads(_ok(db, "plan", "import", str(path), "--dry-run", "--json"))
    assert (data["dry_run"], data["mode"], data["items"], data["header_rows"]) == (
        True,
        "created",
        4,
        [3, 4],
    )
    assert [(c["column"], c["role"]) for c in data["columns"]] == [
        ("A", "level"),
        ("B", "level"),
        ("C", "code"),
        ("D", "item"),
        ("E", "department"),
        ("F", "ignored"),
    ]
    first = data["tree"][0]
    assert (first["label"], first["display"]) == ("基本目標", "Ⅰ 人権の尊重")
    assert first["children"][0]["items"][1] == {
        "number": 11102,
        "display": "11102 人権講演会",
        "departments": ["人権政策課", "公民館"],
        "row": 6,
        "repost_of": None,
    }
    assert _counts(db) == (0, 0, 0)

    imported = _ok(db, "plan", "import", str(path))
    assert "C 事業コード → 項目の番号（見出し「事業コード」）" in imported
    assert _counts(db) == (1, 4, 4)
    # The number people type is the office's own code.
    _ok(db, "round", "open", "--plan", "実施計画", "--year", "2025", "--deadline", "2099-05-31")
    _ok(db, "report", "set", "--dept", "公民館", "--item", "11102", "--grade", "A")
    with db.factory() as s:
        titles = s.scalars(
            select(Item.title).join(Report.assignment).join(Item).where(Report.grade.is_not(None))
        ).all()
    assert titles == ["人権講演会"]


def test_pasted_blocks_through_the_cli_answer_the_right_item(db: Db, tmp_path: Path) -> None:
    path = write_table(tmp_path / "事業一覧.csv", PASTED)
    preview = _ok(db, "plan", "import", str(path), "--dry-run")
    assert "  7行目 見出しの繰り返し: 目標 | 課題 | No. | 事業名 | 所管課" in preview
    assert "所管課]" not in preview and "事業名 [" not in preview
    _ok(db, "plan", "import", str(path), "--name", "事業一覧")
    _ok(db, "round", "open", "--plan", "事業一覧", "--year", "2025", "--deadline", "2099-05-31")
    _ok(db, "report", "set", "--dept", "産業振興課", "--item", "6", "--grade", "B")
    refused = _invoke(db, "report", "set", "--dept", "教育指導課", "--item", "6", "--grade", "B")
    assert refused.exit_code == 1
    _ok(db, "report", "set", "--dept", "教育指導課", "--item", "4", "--grade", "A")
    with db.factory() as s:
        answered = s.execute(
            select(Item.number, Item.title, Report.grade)
            .join(Report.assignment)
            .join(Item)
            .where(Report.grade.is_not(None))
            .order_by(Item.number)
        ).all()
    assert [tuple(row) for row in answered] == [(4, "教職員研修", "A"), (6, "女性の起業支援", "B")]


def test_the_import_speaks_english(db: Db, tmp_path: Path) -> None:
    path = write_table(tmp_path / "plan.csv", PASTED)
    preview = _ok(db, "plan", "import", str(path), "--dry-run", language="en")
    assert preview.startswith(
        "Import preview (nothing stored yet): plan.csv → plan “plan” (new plan)\n"
    )
    assert "  row 7, the header again: 目標 | 課題 | No. | 事業名 | 所管課\n" in preview
    assert "  D 事業名 → item (header “事業名”)\n" in preview
    assert (
        "Warning: plan.csv rows 11, 12, column E (所管課): “関係課” is not a particular department."
        in preview
    )
    # Beyond the table's own words, no Japanese: strip the data and look.
    data = {
        "目標",
        "課題",
        "事業名",
        "所管課",
        "意識づくり",
        "啓発",
        "教育",
        "働く場",
        "就労支援",
        "相談",
    }
    words = set(JAPANESE.findall(preview))
    allowed = {ch for text in [*data, *(c for row in PASTED for c in row)] for ch in text}
    assert words <= allowed

    imported = _ok(db, "plan", "import", str(path), language="en")
    assert "Plan “plan” (id " in imported and "How the columns were read:" in imported
    assert "取" not in imported.replace("事業名", "")
    missing = _invoke(db, "plan", "import", str(tmp_path / "none.csv"), language="en")
    assert missing.exit_code == 1
    assert "none.csv: File not found. Check the path." in missing.stderr
    listed = _ok(db, "plan", "list", language="en")
    assert "Plans" in listed and not JAPANESE.search(listed.replace("plan.csv", ""))


def test_import_results_names_its_columns_and_takes_the_option(
    db: Db, samples_dir: Path, tmp_path: Path
) -> None:
    sample = samples_dir / "tsurugashima_results_excerpt.csv"
    _ok(db, "plan", "import", str(sample), "--name", "第4次")
    with sample.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0] = [*rows[0][:4], "評価(H18)", "評価(H19)", "取組状況(H19)"]
    for row in rows[1:]:
        row[4:] = ["D", *row[4:]]  # last year's grades beside this year's
    table = tmp_path / "h19.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)

    refused = _invoke(
        db, "round", "import-results", str(table), "--plan", "第4次", "--year", "2009"
    )
    assert refused.exit_code == 1
    assert "E:評価(H18)、F:評価(H19)。--grade-column" in refused.stderr
    said = _ok(
        db, "round", "import-results", str(table), "--plan", "第4次", "--year", "2009",
        "--grade-column", "F", "--comment-column", "取組状況(H19)", language="en",
    )  # fmt: skip
    with db.factory() as s:
        round_id = s.scalar(select(Round.id))
    assert said.splitlines() == [
        f"Imported the results of FY2009 (round {round_id}, closed): 第4次, 18/18 answered,"
        " 7 comments",
        "Grades from F:評価(H19), comments from G:取組状況(H19)",
    ]
