"""The Excel 照会様式 out and back for the Nishitokyo round, through the real CLI, on SQLite
and PostgreSQL.

`hokoku round forms` writes one form per department (35); each is filled with openpyxl as
a person fills it in Excel (only the yellow, unlocked cells; grades typed in any width or
case, multi-line and long comments, a line left blank), a third of them re-saved through
LibreOffice headless (which rewrites styles and the hidden sheet's state); `hokoku round
collect` stores them; the export is checked cell by cell against what was typed; collecting
again stores nothing; a tampered form, last year's form and a grade outside the scale are
refused, each with its own message. One form is printed to PDF by LibreOffice and read back
(page count, A4 landscape, every line on a page).

Skipped with the reason when LibreOffice is not installed; CI installs it (.ci/run).
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.export_pdf import convert_to_pdf, soffice
from handlers.reporting.handout import merge_comments
from models import ReportRevision
from models.db import transaction
from tests.conftest import Db
from tests.factories import answer_every_slot

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")

PLAN = "西東京市第4次"
CONTACT = "男女平等推進センター 内線2345 danjo@city.nishitokyo.example.lg.jp"
GRADES = ("A", "b", "Ｃ", "B", "D", "ｂ")  # as people type them: any case, any width
LONG = (
    "講座を2回開催し、延べ45人が参加した。アンケートでは9割が「理解が深まった」と回答した。"
    "来年度は若年層の参加を増やすため、SNSでの周知と土日の開催を検討する。"
)


class Cli:
    def __init__(self, db: Db) -> None:
        self.env = {
            "HOKOKU_DATABASE_URL": db.url,
            "HOKOKU_OFFICE_CONTACT": CONTACT,
            "COLUMNS": "1000",
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def json(self, *args: str) -> dict:  # type: ignore[type-arg]
        return json.loads(self.ok(*args, "--json"))  # type: ignore[no-any-return]


def _answer_last_year(db: Db, round_id: int) -> None:
    with transaction(db.factory) as s:
        answer_every_slot(
            s,
            round_id=round_id,
            grade=lambda n: "ABCD"[n % 4],
            comment=lambda n: "前年度に引き続き実施した。" * (1 + n % 3),
            reporter="t",
            channel="slack",
        )


def _revisions(db: Db) -> int:
    with db.factory() as s:
        return s.scalar(select(func.count()).select_from(ReportRevision)) or 0


def _answer_lines(ws: Worksheet) -> list[tuple[int, str, list]]:  # type: ignore[type-arg]
    """(item number, item title, open cells) of every answer line, as a person sees it."""
    lines = []
    for row in ws.iter_rows():
        opened = [c for c in row if not c.protection.locked and not isinstance(c, MergedCell)]
        if isinstance(row[0].value, int):
            assert len(opened) == 2, f"row {row[0].row}: grade and comment are the open cells"
            lines.append((row[0].value, str(row[1].value), opened))
    return lines


def fill(
    form: Path, target: Path, *, department: str, skip: int | None = None, grade: str = ""
) -> dict[int, tuple[str, str, str]]:
    """Fill every answer line (but line `skip`); returns item number → (title, grade, comment).
    `grade` forces the first line's grade (a value pasted past the drop-down)."""
    book = load_workbook(form)
    ws = book.active
    assert isinstance(ws, Worksheet)
    typed: dict[int, tuple[str, str, str]] = {}
    for index, (number, title, (grade_cell, comment_cell)) in enumerate(_answer_lines(ws)):
        if index == skip:
            continue
        letter = grade if grade and index == 0 else GRADES[(number + len(department)) % 6]
        comment = (
            LONG
            if number % 5 == 0
            else f"- {department}で項目{number}を実施した。\n参加者 {number * 3}人"
        )
        grade_cell.value, comment_cell.value = letter, comment
        typed[number] = (title, letter, comment)
    for row in ws.iter_rows(max_row=10):
        if row[0].value == "回答者（所属・氏名）":
            next(c for c in row if not c.protection.locked).value = f"{department} 担当者"
    book.save(target)
    return typed


def resave_with_libreoffice(files: list[Path], outdir: Path, profile: Path) -> None:
    """What LibreOffice Calc writes when a person opens the file and saves it as .xlsx."""
    program = soffice()
    assert program is not None
    done = subprocess.run(
        [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in outdir.iterdir()) == sorted(f.name for f in files)


def _letter(typed: str) -> str:
    return {"Ｃ": "C", "ｂ": "B", "b": "B"}.get(typed, typed)


def _table(path: Path) -> list[list[object]]:
    """The 達成状況一覧's body rows, merged cells filled with the value above (as merged)."""
    ws = load_workbook(path)["達成状況一覧"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "基本目標")
    assert rows[header][3:] == ["事業", "担当課（R7）", "達成度（R7）", "取組計画と達成状況（R7）"]
    body = rows[header + 1 :]
    merged = {
        (r, c)
        for block in ws.merged_cells.ranges
        for r in range(block.min_row, block.max_row + 1)
        for c in range(block.min_col, block.max_col + 1)
        if (r, c) != (block.min_row, block.min_col)
    }
    for index, row in enumerate(body):
        for column in range(len(row)):
            if (header + 2 + index, column + 1) in merged:
                row[column] = body[index - 1][column]
    return body


def test_nishitokyo_forms_out_filled_collected_exported(
    db: Db, tmp_path: Path, samples_dir: Path
) -> None:
    cli = Cli(db)
    cli.ok("plan", "import", str(samples_dir / "nishitokyo_plan.csv"), "--name", PLAN)
    dates = ("--opens", "2025-04-01", "--deadline", "2025-05-30")
    last = cli.json("round", "open", "--plan", PLAN, "--year", "2024", *dates)["round"]
    _answer_last_year(db, last)
    cli.ok("round", "close", "--round", str(last))
    dates = ("--opens", "2026-04-01", "--deadline", "2026-05-29")
    this = cli.json("round", "open", "--plan", PLAN, "--year", "2025", *dates)["round"]

    # 1. The forms: one per department, every slot on one of them.
    forms_dir = tmp_path / "照会様式"
    written = cli.json("round", "forms", "-o", str(forms_dir))
    forms = written["forms"]
    assert len(forms) == 35 and sum(f["slots"] for f in forms) == 206
    assert sorted(p.name for p in forms_dir.iterdir()) == sorted(f["file"] for f in forms)
    big = next(f for f in forms if f["department"] == "協働コミュニティ課")
    assert big["slots"] == 74

    # 2. Filled as people fill them; every third re-saved by LibreOffice.
    filled_dir, typed_dir, office_dir = (tmp_path / n for n in ("返送", "入力", "calc"))
    for folder in (filled_dir, typed_dir, office_dir):
        folder.mkdir()
    typed: dict[tuple[int, str], tuple[str, str, str]] = {}
    via_calc = []
    for index, form in enumerate(forms):
        department = form["department"]
        target = typed_dir / form["file"]
        skip = 1 if department == "健康課" else None  # one line left for later
        for number, values in fill(
            forms_dir / form["file"], target, department=department, skip=skip
        ).items():
            typed[number, department] = values
        if index % 3 == 0:
            via_calc.append(target)
        else:
            target.replace(filled_dir / form["file"])
    resave_with_libreoffice(via_calc, office_dir, tmp_path / "lo-profile")
    for resaved in office_dir.iterdir():
        with zipfile.ZipFile(resaved) as written_by:
            assert b"LibreOffice" in written_by.read("docProps/app.xml")
        resaved.replace(filled_dir / resaved.name)
    assert len(typed) == 205
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in filled_dir.iterdir()}

    # 3. Collected: every file, every typed line, on the excel channel.
    revisions = _revisions(db)
    out = cli.ok("round", "collect", str(filled_dir))
    assert out.count("の回答を取り込みました（新規 ") == 35
    assert "35ファイル中 35ファイルを取り込み、回答 205件を保存しました。" in out
    assert _revisions(db) == revisions + 205
    status = cli.json("status")
    assert (status["submitted"], status["channels"]) == (205, {"excel": 205})
    health = next(d for d in status["departments"] if d["name"] == "健康課")
    assert (health["submitted"], health["total"], health["channels"]) == (11, 12, {"excel": 11})
    # The people's files were only read.
    assert before == {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in filled_dir.iterdir()}

    # 4. The export, cell by cell: every slot's grade, every item's comment cell.
    handout = tmp_path / "達成状況一覧.xlsx"
    cli.ok("export", "-o", str(handout))
    body = _table(handout)
    assert len(body) == 216  # 206 slots and the (再掲) items' 10 rows
    titles = {title: number for (number, _d), (title, _g, _c) in typed.items()}
    comments: dict[int, set[object]] = {}
    departments: dict[int, list[str]] = {}
    blank = []
    for row in body:
        item, department, grade, comment = str(row[3]), str(row[4]), row[5], row[6]
        original = item.removesuffix("(再掲)")
        if original != item:  # a (再掲) item shows its original's answers: 「③…(再掲)」→「①…」
            number = next(n for t, n in titles.items() if t[1:] == original[1:])
        else:
            number = titles[item]
            departments.setdefault(number, []).append(department)
        answer = typed.get((number, department))
        assert grade == (_letter(answer[1]) if answer else None), (item, department)
        if answer is None and original == item:
            blank.append(department)
        comments.setdefault(number, set()).add(comment)
    assert blank == ["健康課"]  # the line left blank, nothing else
    for number, seen in comments.items():
        given = [
            (d, typed[number, d][2] if (number, d) in typed else "") for d in departments[number]
        ]
        assert seen == {merge_comments(given)}, number
    summary = load_workbook(handout)["まとめ"]
    departments = [[c.value for c in row] for row in summary.iter_rows()]
    health_row = next(r for r in departments if r[0] == "健康課")
    assert health_row[:6] == ["健康課", 11, 1, 12, "92%", "Excel 11"]

    # 5. Collected again: nothing new.
    again = cli.ok("round", "collect", str(filled_dir))
    assert again.count("の回答は取り込み済みです（新しい回答はありません）") == 35
    assert _revisions(db) == revisions + 205

    # 6. A tampered form, last year's form, a grade outside the scale: three messages.
    bad_dir = tmp_path / "不備"
    bad_dir.mkdir()
    library = next(f for f in forms if f["department"] == "図書館")
    book = load_workbook(filled_dir / library["file"])
    seal = book["hokoku"]
    seal.sheet_state = "visible"  # someone unhid it and made it another department's
    other = load_workbook(forms_dir / big["file"])["hokoku"]
    department_of = {r[0].value: r[1].value for r in other.iter_rows() if r[0].value}
    next(r for r in seal.iter_rows() if r[0].value == "department")[1].value = department_of[
        "department"
    ]
    book.save(bad_dir / "改ざん.xlsx")
    old_dir = tmp_path / "前年度"
    old = cli.json("round", "forms", "--round", str(last), "-o", str(old_dir))["forms"]
    old_library = next(f for f in old if f["department"] == "図書館")
    fill(old_dir / old_library["file"], bad_dir / "前年度.xlsx", department="図書館")
    kominkan = next(f for f in forms if f["department"] == "公民館")
    fill(forms_dir / kominkan["file"], bad_dir / "範囲外.xlsx", department="公民館", grade="E")
    refused = cli("round", "collect", str(bad_dir))
    assert refused.exit_code == 1
    lines = refused.stdout.splitlines()
    assert lines[:3] == [
        "前年度.xlsx: 受け付けませんでした — "
        f"令和6年度（回 {last}）の照会様式です。いま受け付けているのは令和7年度（回 {this}）の"
        "回答です。令和7年度の照会様式に入力して返送してもらってください。",
        "改ざん.xlsx: 受け付けませんでした — "
        "照会様式の隠しシートが変更されています（チェックサムが合いません）。"
        "元の照会様式に入力し直して返送してもらってください。",
        "範囲外.xlsx: 受け付けませんでした — "
        "回答!E11: 「E」は達成度にありません（A／B／C／D から選んでください）",
    ]
    assert _revisions(db) == revisions + 205

    # 7. Printed: the largest form on A4 landscape pages, as many as `round forms` said.
    pdf = convert_to_pdf(forms_dir / big["file"])
    with pdfplumber.open(pdf) as document:
        pages = document.pages
        assert len(pages) == big["pages"] > 1
        numbers: set[str] = set()
        for page in pages:
            assert (round(page.width), round(page.height)) == (842, 595)
            words = page.extract_words()
            assert all(
                w["x0"] >= 0 and w["x1"] <= page.width and w["bottom"] <= page.height for w in words
            )
            text = page.extract_text()
            assert "番号" in text and "取組計画と達成状況（R7）" in text  # the header, every page
            numbers |= {w["text"] for w in words if w["x1"] < 90 and w["text"].isdigit()}
        assert "協働コミュニティ課" in pages[0].extract_text()
    items = {str(number) for number, department in typed if department == "協働コミュニティ課"}
    assert items <= numbers  # every line printed (page numbers aside)
