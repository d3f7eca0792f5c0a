"""`round import-results` reads what hokoku writes and what offices write: every table
`hokoku export` makes (CSV, the XLSX handout, with and without last year's grades, the
committee's document with its sheets and the committee's grade, in Japanese and English
headings), and grade/comment columns headed with a year in any form offices use."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.committee.evaluations import set_evaluation
from handlers.committee.results_import import ResultsImport, import_results
from handlers.errors import InvalidInput
from handlers.export.document import export_document
from handlers.export.table import build_table
from handlers.export.table_csv import csv_rows, write_csv
from handlers.export.table_xlsx import write_xlsx
from handlers.normalize import fold
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.settings import edit_plan
from handlers.plan.table_import import import_plan
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import open_round
from models import Plan, Round

SAMPLE = "tsurugashima_results_excerpt.csv"


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _plans(session: Session, samples_dir: Path) -> tuple[Plan, Plan]:
    """The same plan twice: A answers a round and exports it, B imports what A exported."""
    org = get_or_create_organization(session, name="鶴ヶ島市").id
    a = import_plan(session, organization_id=org, path=samples_dir / SAMPLE, name="A")
    b = import_plan(session, organization_id=org, path=samples_dir / SAMPLE, name="B")
    return session.get_one(Plan, a.plan_id), session.get_one(Plan, b.plan_id)


def _answer(
    session: Session, plan: Plan, round_id: int, dept: str, item: int, grade: str, comment: str
) -> None:
    submit_answer(
        session,
        round_id=round_id,
        department_id=find_department(session, organization_id=plan.organization_id, name=dept).id,
        item_number=item,
        grade=grade,
        comment=comment,
        reporter="test",
        channel="console",
    )


@pytest.fixture
def answered(session: Session, samples_dir: Path) -> tuple[Plan, Plan, int]:
    """Plan A with last year (令和5年度, imported) and this year (令和6年度) partly answered,
    two departments commenting on one item, the committee's grade on 施策 1."""
    a, b = _plans(session, samples_dir)
    import_results(
        session,
        organization_id=a.organization_id,
        plan_id=a.id,
        path=samples_dir / SAMPLE,
        fiscal_year=2023,
        reporter="import:test",
    )
    info = open_round(
        session, plan=a, fiscal_year=2024, deadline=date(2025, 5, 31), opens_on=date(2025, 4, 1)
    )
    _answer(session, a, info.id, "女性センター", 1, "A", "講座を3回開いた。")
    _answer(session, a, info.id, "総務人権推進課", 1, "B", "展示を行った。\n2行目も。")
    _answer(session, a, info.id, "学校教育課", 3, "C", "")
    _answer(session, a, info.id, "秘書広報課", 6, "B", "=市報で周知")  # a formula-like text
    edit_plan(session, plan_id=a.id, evaluation_level="施策")
    set_evaluation(
        session, round_id=info.id, node="1", grade="A", comment="進んだ", evaluator="委員会"
    )
    return a, b, info.id


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("evaluation", [False, True], ids=["table", "evaluation"])
@pytest.mark.parametrize("previous", [False, True], ids=["this-year", "previous"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_export_reads_back(
    session: Session,
    answered: tuple[Plan, Plan, int],
    tmp_path: Path,
    fmt: str,
    previous: bool,
    evaluation: bool,
    language: str,
) -> None:
    _, b, round_id = answered
    document = export_document(
        session,
        round_id=round_id,
        today=date(2025, 6, 1),
        previous=previous,
        evaluation=evaluation,
        sheets=fmt == "xlsx",
        language=language,  # `hokoku export --lang en`: every heading in English
    )
    path = tmp_path / f"達成状況一覧.{fmt}"
    if fmt == "xlsx":  # the committee's document: the handout, then its sheets
        write_xlsx(document.table, path, label="資料2", committee=document.committee)
        assert len(load_workbook(path, read_only=True).sheetnames) > 1
    else:
        write_csv(document.table, path)
    result = import_results(
        session,
        organization_id=b.organization_id,
        plan_id=b.id,
        path=path,
        fiscal_year=2024,
        reporter="import:test",
    )
    assert (result.answered, result.comments) == (4, 3)
    grade_header = "Grade" if language == "en" else "達成度"
    assert grade_header in result.grade_column
    # What B now holds is what A answered: the same table, cell by cell.
    assert csv_rows(build_table(session, round_id=result.round_id)) == csv_rows(
        build_table(session, round_id=round_id)
    )


def _sample_with(
    samples_dir: Path,
    tmp_path: Path,
    headers: list[str],
    name: str = "r.csv",
    *,
    grade_before: str | None = None,
) -> Path:
    """The sample under other headers for its grade and comment columns; `grade_before`:
    with one more grade column before the sample's, holding that grade on every row (last
    year's, as offices keep it beside this year's)."""
    rows = _read(samples_dir / SAMPLE)
    rows[0] = [*rows[0][:4], *headers]
    if grade_before is not None:
        for row in rows[1:]:
            row[4:] = [grade_before, row[4], row[5]]
    return _write(tmp_path / name, rows)


def _import(session: Session, plan: Plan, path: Path, year: int, **kw: str) -> ResultsImport:
    return import_results(
        session,
        organization_id=plan.organization_id,
        plan_id=plan.id,
        path=path,
        fiscal_year=year,
        reporter="import:test",
        **kw,
    )


@pytest.mark.parametrize(
    ("grade", "comment", "year"),
    [
        ("達成度（R5）", "取組計画と達成状況（R5）", 2023),
        ("達成度(R5)", "達成状況(R5)", 2023),
        ("達成度（令和5年度）", "取組状況（令和5年度）", 2023),
        ("達成度（2023年度）", "取組実績（2023年度）", 2023),
        ("令和5年度達成度", "令和5年度の取組実績", 2023),
        ("各課評価(H19)", "取組状況(H19)", 2007),
        ("評価(H19)", "実績(H19)", 2007),
        ("H19評価", "H19実績", 2007),
        ("各課評価", "コメント", 2007),
        ("Grade (FY2023)", "Plans and progress (FY2023)", 2023),
    ],
)
def test_grade_and_comment_columns_with_a_year_in_any_form(
    session: Session, samples_dir: Path, tmp_path: Path, grade: str, comment: str, year: int
) -> None:
    _, b = _plans(session, samples_dir)
    result = _import(session, b, _sample_with(samples_dir, tmp_path, [grade, comment]), year)
    assert (result.answered, result.comments) == (18, 7)
    # Header texts are shown folded (NFKC), as every column of the import is.
    assert (result.grade_column, result.comment_column) == (
        f"E:{fold(grade)}",
        f"F:{fold(comment)}",
    )


def test_two_grade_columns_take_the_rounds_year(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    """Office practice: last year's 評価 kept beside this year's (評価(H18), 評価(H19))."""
    _, b = _plans(session, samples_dir)
    path = _sample_with(  # last year's column holds D everywhere
        samples_dir,
        tmp_path,
        ["評価(H18)", "評価(H19)", "取組状況(H19)"],
        "h19.csv",
        grade_before="D",
    )
    result = _import(session, b, path, 2007)
    assert result.grade_column == "F:評価(H19)"
    assert session.scalar(
        select(func.count()).select_from(Round).where(Round.id == result.round_id)
    )
    exported = csv_rows(build_table(session, round_id=result.round_id))
    assert {row[4] for row in exported[1:]} == {"B"}

    with pytest.raises(InvalidInput) as caught, session.begin_nested():
        _import(session, b, path, 2008)
    assert caught.value.message == (
        "h19.csv: 達成度の列が複数あり、どれが平成20年度の達成度かわかりません: "
        "E:評価(H18)、F:評価(H19)。--grade-column で列を指定してください"
        "（見出しの文字・列の記号・何列目か）。"
    )


def test_previous_and_this_years_grades_without_years(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    _, b = _plans(session, samples_dir)
    path = _sample_with(
        samples_dir, tmp_path, ["前年度達成度", "達成度", "取組計画と達成状況"], grade_before="D"
    )
    result = _import(session, b, path, 2023)
    assert result.grade_column == "F:達成度"


def test_two_undated_grade_columns_are_refused_naming_both_and_the_option_decides(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    _, b = _plans(session, samples_dir)
    path = _sample_with(
        samples_dir, tmp_path, ["評価", "達成度", "取組状況"], "two.csv", grade_before="D"
    )
    with (
        pytest.raises(InvalidInput, match="E:評価、F:達成度。--grade-column"),
        session.begin_nested(),
    ):
        _import(session, b, path, 2023)
    result = _import(session, b, path, 2023, grade_column="達成度", comment_column="G")
    assert (result.grade_column, result.comment_column) == ("F:達成度", "G:取組状況")
    assert (result.answered, result.comments) == (18, 7)


def test_a_grade_column_of_another_year_is_refused_unless_named(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    _, b = _plans(session, samples_dir)
    path = _sample_with(samples_dir, tmp_path, ["達成度（R4）", "取組計画と達成状況"])
    with pytest.raises(InvalidInput) as caught, session.begin_nested():
        _import(session, b, path, 2023)
    assert caught.value.message == (
        "r.csv: 達成度の列 E:達成度(R4) は令和4年度のもので、取り込む年度（令和5年度）と違います。"
        "--year を確かめてください。この列で取り込むなら --grade-column で指定してください。"
    )
    result = _import(session, b, path, 2023, grade_column="E")
    assert result.answered == 18


def test_office_columns_that_are_not_the_departments_grade(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    """担当課評価 is a grade, not a department column; 委員会評価 is the committee's."""
    _, b = _plans(session, samples_dir)
    rows = _read(samples_dir / SAMPLE)
    rows[0] = [*rows[0][:4], "担当課評価", "取組状況", "委員会評価"]
    for row in rows[1:]:
        row.append("S")
    result = _import(session, b, _write(tmp_path / "o.csv", rows), 2023)
    assert (result.grade_column, result.answered) == ("E:担当課評価", 18)


def test_no_grade_column_names_the_option(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    _, b = _plans(session, samples_dir)
    path = _sample_with(samples_dir, tmp_path, ["委員会評価", "備考"])
    with pytest.raises(InvalidInput) as caught:
        _import(session, b, path, 2023)
    assert "--grade-column で列を指定できます" in caught.value.message
    assert "E:委員会評価、F:備考" in caught.value.message


def test_a_printed_layout_reads_back_headings_pasted_header_and_notes(
    session: Session, samples_dir: Path, tmp_path: Path
) -> None:
    """Office practice: last year's 達成状況一覧 as printed: 基本目標 above the table, each
    施策 on a line of its own, the second page pasted with its header, the legend under it."""
    _, b = _plans(session, samples_dir)
    rows = _read(samples_dir / SAMPLE)
    table: list[list[str]] = [["基本目標 I 男女共同参画の意識づくり"], rows[0][2:]]
    for index, row in enumerate(rows[1:], start=1):
        if index == 11:
            table.append(rows[0][2:])  # page 2
        if row[1]:
            table.append([f"施策{row[1]}"])
        table.append(row[2:])
    table += [["※達成度 A：計画以上 B：計画どおり C：計画を下回る D：未実施"]]
    result = _import(session, b, _write(tmp_path / "printed.csv", table), 2023)
    assert (result.answered, result.comments) == (18, 7)
    exported = csv_rows(build_table(session, round_id=result.round_id))
    assert [row[4] for row in exported[1:]] == [row[4] for row in rows[1:]]
