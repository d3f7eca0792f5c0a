"""Last year's 達成状況一覧 loaded as a closed round: it round-trips and shows as 前年."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.committee.results_import import ResultsImport, import_results
from handlers.errors import InvalidInput
from handlers.export.table import build_table
from handlers.export.table_csv import csv_rows, write_csv
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.table_import import import_plan
from handlers.reporting.reports import department_slots
from handlers.reporting.rounds import open_round
from models import Plan, ReportRevision, Round

SAMPLE = "tsurugashima_results_excerpt.csv"


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def plan(session: Session, samples_dir: Path) -> Plan:
    org = get_or_create_organization(session, name="鶴ヶ島市").id
    result = import_plan(session, organization_id=org, path=samples_dir / SAMPLE, name="第4次")
    return session.get_one(Plan, result.plan_id)


def test_tsurugashima_excerpt_round_trips_through_the_export(
    session: Session, plan: Plan, samples_dir: Path, tmp_path: Path
) -> None:
    sample = _read(samples_dir / SAMPLE)
    result = import_results(
        session,
        organization_id=plan.organization_id,
        plan_id=plan.id,
        path=samples_dir / SAMPLE,
        fiscal_year=2023,
        reporter="import:test",
    )
    assert (result.slots, result.answered, result.comments) == (18, 18, 7)
    assert result.label == "令和5年度"
    rnd = session.get_one(Round, result.round_id)
    assert rnd.is_closed and rnd.fiscal_year == 2023
    channels = session.scalars(select(ReportRevision.channel).distinct()).all()
    assert channels == ["import"]

    out = tmp_path / "export.csv"
    write_csv(build_table(session, round_id=result.round_id), out)
    exported = _read(out)
    assert exported[0] == sample[0]
    assert len(exported) == len(sample)
    for got, want in zip(exported[1:], sample[1:], strict=True):
        assert got[:5] == want[:5]  # hierarchy, item, department, grade: cell by cell
        # The export writes the item's one comment as a `・` bullet (its documented format).
        assert got[5] == (f"・{want[5]}" if want[5] else "")

    # Exporting what was imported, importing that, exporting again: identical cells.
    again = import_results(
        session,
        organization_id=plan.organization_id,
        plan_id=plan.id,
        path=out,
        fiscal_year=2022,
        reporter="import:test",
    )
    assert csv_rows(build_table(session, round_id=again.round_id)) == exported


def test_next_years_round_shows_the_imported_answers_as_previous(
    session: Session, plan: Plan, samples_dir: Path
) -> None:
    sample = _read(samples_dir / SAMPLE)
    import_results(
        session,
        organization_id=plan.organization_id,
        plan_id=plan.id,
        path=samples_dir / SAMPLE,
        fiscal_year=2023,
        reporter="import:test",
    )
    info = open_round(
        session, plan=plan, fiscal_year=2024, deadline=date(2025, 5, 31), opens_on=date(2025, 4, 1)
    )
    center = find_department(session, organization_id=plan.organization_id, name="女性センター")
    slots = department_slots(session, round_id=info.id, department_id=center.id)
    assert [s.item_number for s in slots] == [1, 2, 4, 5, 6, 7]
    first = slots[0]
    assert (first.grade, first.previous_grade, first.previous_comment) == (None, "B", sample[1][5])
    general = find_department(session, organization_id=plan.organization_id, name="総務人権推進課")
    [one, four] = department_slots(session, round_id=info.id, department_id=general.id)
    # The item's comment sits with the department on its line; the others had only a grade.
    assert (one.previous_grade, one.previous_comment) == ("B", "")
    assert (four.item_number, four.previous_grade) == (4, "B")


def test_every_problem_is_listed_and_nothing_is_written(
    session: Session, plan: Plan, samples_dir: Path, tmp_path: Path
) -> None:
    rows = _read(samples_dir / SAMPLE)
    rows[2][3] = "存在しない課"  # line 3: unknown department
    rows[3][4] = "Z"  # line 4: grade not in the scale
    rows[8][2] = "99 ない取組"  # line 9: unknown item (its continuation rows follow it)
    rows[10][3] = "秘書広報課"  # line 11: a real department, not assigned to item 3
    bad = _write(tmp_path / "bad.csv", rows)
    with pytest.raises(InvalidInput) as caught:
        import_results(
            session,
            organization_id=plan.organization_id,
            plan_id=plan.id,
            path=bad,
            fiscal_year=2023,
            reporter="import:test",
        )
    message = caught.value.message
    assert "何も書き込んでいません" in message
    assert "3行目: 担当課「存在しない課」が登録されていません" in message
    assert "4行目: 達成度「Z」は評価基準（A／B／C／D）にありません" in message
    assert "9行目: 取組項目「99 ない取組」が計画にありません" in message
    assert (
        "11行目: 担当課「秘書広報課」は取組項目「3 学校における男女平等教育の充実」の担当ではありません"
        in message
    )
    assert session.scalar(select(func.count()).select_from(Round)) == 0


def test_comment_without_any_grade_is_refused(
    session: Session, plan: Plan, samples_dir: Path, tmp_path: Path
) -> None:
    rows = _read(samples_dir / SAMPLE)
    rows[10][4] = ""  # item 3 (one department): no grade, but a comment
    with pytest.raises(
        InvalidInput,
        match="11行目: 取組項目「3 学校における男女平等教育の充実」のコメントの担当課に達成度がありません",
    ):
        import_results(
            session,
            organization_id=plan.organization_id,
            plan_id=plan.id,
            path=_write(tmp_path / "nograde.csv", rows),
            fiscal_year=2023,
            reporter="import:test",
        )


def test_blank_grades_stay_unanswered_and_a_year_is_imported_once(
    session: Session, plan: Plan, samples_dir: Path, tmp_path: Path
) -> None:
    rows = _read(samples_dir / SAMPLE)
    rows[2][4] = ""  # 総務人権推進課 on item 1: not answered that year
    path = _write(tmp_path / "partial.csv", rows)

    def run() -> ResultsImport:
        return import_results(
            session,
            organization_id=plan.organization_id,
            plan_id=plan.id,
            path=path,
            fiscal_year=2023,
            reporter="import:test",
        )

    result = run()
    assert (result.slots, result.answered) == (18, 17)
    with pytest.raises(InvalidInput, match="令和5年度の回はすでにあります"):
        run()
