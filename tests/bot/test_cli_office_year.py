"""The office runs its year through the real CLI (both databases): the latest round by
default, reopen/edit, late entry, 機構改革 (dept rename/merge), readings and department
order, plan names and titles, another file for the same plan, folded lookups."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import app
from models import AuditEntry
from tests.conftest import Db
from tests.factories import build_plan

OPEN = ("round", "open", "--plan", "テスト計画", "--year", "2023", "--opens", "2024-04-01")


class Cli:
    def __init__(self, db: Db) -> None:
        self.db = db
        self.env = {"HOKOKU_DATABASE_URL": db.url, "COLUMNS": "1000"}

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env, input=input)

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self(*args, input=input)
        assert result.exit_code == 0, result.output
        return result.stdout

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args, "--json"))

    def error(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        return result.stderr.replace("\n", "")

    def audits(self, action: str) -> list[AuditEntry]:
        with self.db.factory() as s:
            return list(
                s.scalars(
                    select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
                )
            )


@pytest.fixture
def cli(db: Db) -> Cli:
    with db.factory() as s, s.begin():
        build_plan(
            s,
            items=[
                ("下水道の啓発", ["下水道課"]),
                ("スポーツ教室", ["スポーツ振興課", "下水道課"]),
                ("ごみ減量の講座", ["ごみ減量推進課"]),
            ],
        )
    return Cli(db)


def _open(cli: Cli) -> int:
    data = cli.json(*OPEN, "--deadline", "2024-05-31")
    assert isinstance(data, dict)
    return int(data["round"])


# --- the latest round, closing, late entry, reopening, moving the deadline -------------


def test_after_close_the_office_works_on_the_round_it_closed(cli: Cli, tmp_path: Path) -> None:
    round_id = _open(cli)
    cli.ok("report", "set", "--dept", "下水道課", "--item", "1", "--grade", "B", "--comment", "済")
    closed = cli.ok("round", "close")
    caption = f"回 {round_id}（令和5年度 テスト計画・受付終了）"
    assert f"{caption} の受付を終了しました" in closed

    status = cli.json("status")
    assert isinstance(status, dict)
    assert (status["round"], status["closed"], status["submitted"]) == (round_id, True, 1)
    assert f"（回 {round_id}・受付終了）" in cli.ok("status")
    exported = cli.ok("export", "-o", str(tmp_path / "一覧.csv"))
    assert f"{caption} の令和5年度 テスト計画 達成状況一覧 を書き出しました" in exported
    assert f"回 {round_id}（令和5年度 テスト計画・受付終了）" in cli.ok("round", "show")

    # Departments in chat are refused; the office's paper entry is a late entry, audited.
    said = cli.ok("console", "--dept", "下水道課", "--as", "tanaka", input="2 A 実施\n")
    assert "令和5年度の報告は締め切られました" in said
    said = cli.ok(
        "console", "--dept", "下水道課", "--as", "tanaka", "--round", str(round_id),
        input="2 A 実施\n",
    )  # fmt: skip
    assert "締め切られました" in said
    late = cli.ok("report", "set", "--dept", "下水道課", "--item", "2", "--grade", "A",
                  "--by", "事務局（郵送）")  # fmt: skip
    assert f"下水道課 {caption}（締切後の代理入力として記録しました）" in late
    assert "・[2] スポーツ教室 → A（コメントなし） … 保存" in late
    audits = cli.audits("proxy_answer")
    assert [(a.actor, a.detail["item"], a.detail["late_entry"]) for a in audits] == [
        (audits[0].actor, 1, False),
        ("事務局（郵送）", 2, True),
    ]
    history = cli.ok("report", "history", "--dept", "下水道課", "--item", "2")
    assert f"下水道課 項目 2 の回答履歴 {caption}" in history
    assert [a.detail["round"] for a in cli.audits("round_close")] == [round_id]


def test_reopen_and_edit_the_deadline(cli: Cli) -> None:
    round_id = _open(cli)
    assert "はすでに受付中です" in cli.ok("round", "reopen")
    cli.ok("round", "close")
    reopened = cli.ok("round", "reopen")
    assert (
        f"回 {round_id}（令和5年度 テスト計画・受付中）の受付を再開しました。締切 2024-05-31"
        in reopened
    )
    assert "締切を過ぎているため" in reopened  # 2024-05-31 is in the past
    edited = cli.json("round", "edit", "--deadline", "２０９９／５／３１")
    assert isinstance(edited, dict)
    assert (edited["deadline"], edited["previous_deadline"], edited["closed"]) == (
        "2099-05-31",
        "2024-05-31",
        False,
    )
    assert "のままです" in cli.ok("round", "edit", "--deadline", "2099-05-31")
    assert "受付開始日 2024-04-01 より前です" in cli.error(
        "round", "edit", "--deadline", "2024-03-01"
    )
    assert "--deadline の日付「来月」を読み取れません" in cli.error(
        "round", "edit", "--deadline", "来月"
    )
    assert [a.detail["round"] for a in cli.audits("round_reopen")] == [round_id]
    assert [(a.detail["old"], a.detail["new"]) for a in cli.audits("round_edit")] == [
        ("2024-05-31", "2099-05-31")
    ]
    said = cli.ok("console", "--dept", "下水道課", "--as", "tanaka", input="1 B 実施\n")
    assert "・[1] 下水道の啓発 → B「実施」 … 保存" in said


# --- department order, readings, 機構改革 ------------------------------------------------


def _names(rows: object) -> list[str]:
    assert isinstance(rows, list)
    return [str(row["name"]) for row in rows]


def test_departments_in_plan_order_or_by_reading(cli: Cli) -> None:
    _open(cli)
    plan_order = ["下水道課", "スポーツ振興課", "ごみ減量推進課"]  # code point order differs
    assert _names(cli.json("dept", "list")) == plan_order
    status = cli.json("status")
    assert isinstance(status, dict)
    assert [d["name"] for d in status["departments"]] == plan_order
    table = cli.ok("status")
    assert table.index("下水道課") < table.index("スポーツ振興課") < table.index("ごみ減量推進課")

    cli.ok("dept", "edit", "下水道課", "--reading", "げすいどうか")
    cli.ok("dept", "edit", "スポーツ振興課", "--reading", "ｽﾎﾟｰﾂｼﾝｺｳｶ")  # half-width katakana
    assert _names(cli.json("dept", "list")) == ["下水道課", "スポーツ振興課", "ごみ減量推進課"]
    edited = cli.json("dept", "edit", "ごみ減量推進課", "--reading", "ゴミゲンリョウスイシンカ")
    assert edited == {"department": "ごみ減量推進課", "reading": "ゴミゲンリョウスイシンカ"}
    by_reading = ["下水道課", "ごみ減量推進課", "スポーツ振興課"]  # げ < ご < す
    assert _names(cli.json("dept", "list")) == by_reading
    status = cli.json("status")
    assert isinstance(status, dict)
    assert [d["name"] for d in status["departments"]] == by_reading
    assert "（げすいどうか）" in cli.ok("dept", "list")
    assert "ひらがなかカタカナで指定してください" in cli.error(
        "dept", "edit", "下水道課", "--reading", "gesuidou"
    )
    cleared = cli.json("dept", "edit", "下水道課", "--reading", "")
    assert cleared == {"department": "下水道課", "reading": None}
    assert len(cli.audits("dept_edit")) == 4


def test_rename_and_merge_departments(cli: Cli) -> None:
    round_id = _open(cli)
    cli.ok("console", "--dept", "下水道課", "--as", "tanaka", input="1 B 啓発した\n")
    renamed = cli.json("dept", "rename", "下水道課", "上下水道課")
    assert renamed == {"department": "上下水道課", "former_name": "下水道課"}
    # The old name still works everywhere a name is typed.
    said = cli.ok("report", "set", "--dept", "下水道課", "--item", "2", "--grade", "C")
    assert "上下水道課" in said
    listed = cli.json("dept", "list")
    assert isinstance(listed, list)
    assert {"name": "上下水道課", "former_names": ["下水道課"]}.items() <= listed[0].items()
    assert "hokoku dept merge 上下水道課 スポーツ振興課" in cli.error(
        "dept", "rename", "上下水道課", "スポーツ振興課"
    )

    # スポーツ振興課 joins 上下水道課: item 2 was assigned to both (combined), its link moves.
    cli.ok("dept", "link", "スポーツ振興課", "--line-user", "Uabc")
    cli.ok("console", "--dept", "スポーツ振興課", "--as", "suzuki", input="2 A 教室を開催\n")
    merged = cli.json("dept", "merge", "スポーツ振興課", "下水道課")
    assert merged == {
        "department": "上下水道課",
        "merged": "スポーツ振興課",
        "moved_assignments": 0,
        "shared_items": 1,
        "combined_answers": 1,
        "moved_links": 2,
    }
    assert _names(cli.json("dept", "list")) == ["上下水道課", "ごみ減量推進課"]
    history = json.loads(
        cli.ok("report", "history", "--dept", "スポーツ振興課", "--item", "2", "--json")
    )
    assert [(h["revision"], h["grade"]) for h in history] == [(1, "C"), (2, "A")]
    status = cli.json("status", "--round", str(round_id))
    assert isinstance(status, dict)
    assert [(d["name"], d["total"], d["submitted"]) for d in status["departments"]] == [
        ("上下水道課", 2, 2),
        ("ごみ減量推進課", 1, 0),
    ]
    text = cli.ok("dept", "merge", "ごみ減量推進課", "上下水道課")
    assert "担当課「ごみ減量推進課」を「上下水道課」に統合しました: 担当 1件" in text
    assert [a.detail["source"] for a in cli.audits("dept_merge")] == [
        "スポーツ振興課",
        "ごみ減量推進課",
    ]
    assert "同じ担当課（上下水道課）" in cli.error("dept", "merge", "下水道課", "上下水道課")


# --- plan names, titles, files ---------------------------------------------------------


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


ROWS = [
    ["基本目標", "取組項目", "担当課"],
    ["I 啓発", "1 情報誌の発行", "協働コミュニティ課・図書館"],
    ["", "2 講座(再掲)", "公民館"],
    ["II 学習", "3 講座", "公民館、全課"],
]


def test_plan_titles_renames_and_another_file(cli: Cli, tmp_path: Path) -> None:
    source = _csv(tmp_path / "nishitokyo_merged.csv", ROWS)
    imported = cli.json("plan", "import", str(source), "--title", "第４次 男女平等参画推進計画")
    assert isinstance(imported, dict)
    assert (imported["name"], imported["title"], imported["reposts"]) == (
        "nishitokyo_merged",
        "第4次 男女平等参画推進計画",
        1,
    )
    assert [(w["row"], w["column"], w["kind"]) for w in imported["department_warnings"]] == [
        (2, "C", "split"),
        (4, "C", "collective"),
    ]
    assert cli.json("plan", "rename", "nishitokyo_merged", "西東京第４次") == {
        "plan": imported["plan"],
        "name": "西東京第4次",
        "title": "第4次 男女平等参画推進計画",
    }
    shown = cli.ok("plan", "show", "西東京第４次")  # typed full-width: found
    assert "第4次 男女平等参画推進計画" in shown and "→ 3 で回答" in shown
    cli.ok("round", "open", "--plan", "西東京第4次", "--year", "2023", "--deadline", "2099-05-31")
    out = tmp_path / "一覧.xlsx"
    cli.ok("export", "-o", str(out))
    sheet = load_workbook(out).worksheets[0]
    titles = [c.value for row in sheet.iter_rows(max_row=3) for c in row if c.value]
    assert "令和5年度 第4次 男女平等参画推進計画 達成状況一覧" in titles
    edited = cli.ok("plan", "edit", "西東京第4次", "--title", "")
    assert "表題: 西東京第4次" in edited
    assert [a.action for a in cli.audits("plan_rename")] == ["plan_rename"]
    assert len(cli.audits("plan_edit")) == 1
    assert "計画「西東京第4次」" in cli.error("plan", "rename", "テスト計画", "西東京第４次")

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in ROWS:
        ws.append(row)
    wb.save(tmp_path / "テスト計画.xlsx")
    refused = cli.error("plan", "import", str(tmp_path / "テスト計画.xlsx"))
    assert "計画「テスト計画」" in refused and "--replace" in refused and "--name" in refused


def test_import_summary_lists_warnings_and_renames(cli: Cli, tmp_path: Path) -> None:
    _open(cli)
    cli.ok("report", "set", "--dept", "下水道課", "--item", "1", "--grade", "B")
    renamed_rows = [
        ["基本目標", "取組項目", "担当課"],
        ["I 目標", "1 下水道の啓発", "上下水道課"],
        ["", "2 スポーツ教室", "スポーツ振興課、上下水道課"],
        ["", "3 ごみ減量の講座", "ごみ減量推進課 リサイクル係"],
    ]
    path = _csv(tmp_path / "テスト計画.csv", renamed_rows)
    refused = cli.error("plan", "import", str(path), "--replace")
    assert "--rename-dept 旧名=新名" in refused
    text = cli.ok("plan", "import", str(path), "--replace", "--rename-dept", "下水道課=上下水道課")
    assert "下水道課 → 上下水道課" in text
    assert (
        "注意: テスト計画.csv 4行目 C列（担当課）: 「ごみ減量推進課 リサイクル係」は係などの単位まで含めて"
        in (text.replace("\n", ""))
    )
    status = cli.json("status")
    assert isinstance(status, dict)
    assert [(d["name"], d["total"], d["submitted"]) for d in status["departments"]] == [
        ("上下水道課", 2, 1),  # item 1's answer stayed with the renamed department
        ("スポーツ振興課", 1, 0),
        ("ごみ減量推進課 リサイクル係", 1, 0),
    ]
    assert "旧名=新名 の形で指定してください" in cli.error(
        "plan", "import", str(path), "--rename-dept", "x"
    )


def test_cover_sheet_error_is_one_line(cli: Cli, tmp_path: Path) -> None:
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "表紙"
    cover["A1"] = "進行管理表"
    table = wb.create_sheet("R5実績")
    table.append(["施策", "事業名称", "主管課"])
    table.append(["(1) 啓発", "1 講演会", "人権推進課"])
    wb.save(tmp_path / "book.xlsx")
    error = cli.error("plan", "import", str(tmp_path / "book.xlsx"))
    assert "シート: 「表紙」、「R5実績」" in error and "--sheet R5実績" in error
    data = cli.json("plan", "import", str(tmp_path / "book.xlsx"), "--sheet", "R5実績")
    assert isinstance(data, dict) and (data["sheet"], data["items"]) == ("R5実績", 1)
