"""Summary sentences from the year-over-year comparison, in Japanese and English."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from handlers.committee.compare import Comparison, GradeTally, compare_rounds, good_grades
from handlers.committee.results_import import import_results
from handlers.committee.summary_text import percent, summary_text
from handlers.errors import InvalidInput
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.settings import edit_plan
from handlers.plan.table_import import import_plan
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import open_round
from handlers.scale import DEFAULT_SCALE, GradeScale
from models import Plan
from tests.factories import build_plan, open_test_round


def tally(
    label: str, total: int, counts: dict[str, int], improved: int = 0, worsened: int = 0
) -> GradeTally:
    return GradeTally(
        label=label,
        total=total,
        graded=sum(counts.values()),
        counts=counts,
        previous_counts={},
        compared=total,
        improved=improved,
        worsened=worsened,
    )


def comparison(
    overall: GradeTally, goals: tuple[GradeTally, ...] = (), *, previous: bool = True
) -> Comparison:
    return Comparison(
        round_id=2,
        round_label="令和6年度",
        plan_name="第4次",
        previous_round_id=1 if previous else None,
        previous_label="令和5年度" if previous else None,
        fiscal_year=2024,
        previous_fiscal_year=2023 if previous else None,
        scale=DEFAULT_SCALE,
        good=("A", "B"),
        unit="事業",
        unit_is_item=True,
        top_label="基本目標",
        overall=overall,
        goals=goals,
    )


def test_the_committee_sentence_in_both_languages() -> None:
    text = summary_text(
        comparison(
            tally("", 64, {"A": 20, "B": 34, "C": 8, "D": 2}, improved=6),
            (
                tally("I 意識づくり", 10, {"A": 5, "B": 5}),
                tally("II 働き方", 4, {"C": 3}, worsened=1),
            ),
        )
    )
    assert text.overall.ja == "全64事業のうちA・B評価は54事業（84%）、前年度から6事業上昇"
    assert text.overall.en == "54 of 64 items (84%) graded A or B; 6 improved on last year"
    assert text.lines("ja")[1:] == [
        "I 意識づくり: 全10事業のうちA・B評価は10事業（100%）、前年度から変化なし",
        "II 働き方: 全4事業のうちA・B評価は0事業（0%）、前年度から1事業低下（未回答 1事業）",
    ]
    assert text.lines("en")[2] == (
        "II 働き方: 0 of 4 items (0%) graded A or B; 1 declined on last year (1 not answered yet)"
    )


def test_without_last_year_there_is_no_change_clause() -> None:
    text = summary_text(comparison(tally("", 3, {"A": 1, "C": 2}), previous=False))
    assert text.overall.ja == "全3事業のうちA・B評価は1事業（33%）"
    assert percent(1, 8) == 13 and percent(0, 0) == 0


def test_good_grades_default_to_the_top_half_of_the_scale() -> None:
    assert good_grades(DEFAULT_SCALE) == ("A", "B")
    assert good_grades(GradeScale.parse("達成,概ね達成,未達成")) == ("達成", "概ね達成")
    assert good_grades(DEFAULT_SCALE, ["ａ"]) == ("A",)
    with pytest.raises(InvalidInput, match="よい評価「S」"):
        good_grades(DEFAULT_SCALE, ["S"])


def test_compare_counts_this_year_against_the_imported_last_year(
    session: Session, samples_dir: Path
) -> None:
    sample = samples_dir / "tsurugashima_results_excerpt.csv"
    org = get_or_create_organization(session, name="鶴ヶ島市").id
    plan = session.get_one(Plan, import_plan(session, organization_id=org, path=sample).plan_id)
    import_results(
        session, organization_id=org, plan_id=plan.id, path=sample, fiscal_year=2023, reporter="t"
    )
    info = open_round(
        session, plan=plan, fiscal_year=2024, deadline=date(2025, 5, 31), opens_on=date(2025, 4, 1)
    )
    for dept, number, grade in (("女性センター", 1, "A"), ("学校教育課", 3, "C")):
        submit_answer(
            session,
            round_id=info.id,
            department_id=find_department(session, organization_id=org, name=dept).id,
            item_number=number,
            grade=grade,
            comment="",
            reporter="t",
            channel="test",
        )
    result = compare_rounds(session, round_id=info.id)
    assert (result.previous_label, result.unit, result.unit_is_item) == ("令和5年度", "件", False)
    overall = result.overall
    assert (overall.total, overall.graded, overall.compared) == (18, 2, 2)
    assert overall.counts == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert overall.previous_counts == {"A": 0, "B": 18, "C": 0, "D": 0}
    assert (overall.improved, overall.worsened) == (1, 1)
    assert [g.label for g in result.goals] == ["I 男女共同参画の意識づくり"]
    text = summary_text(result)
    assert (
        text.overall.ja
        == "全18件のうちA・B評価は1件（6%）、前年度から1件上昇、1件低下（未回答 16件）"
    )
    edit_plan(session, plan_id=plan.id, good_grades="A")
    assert compare_rounds(session, round_id=info.id).good == ("A",)


def test_one_department_per_item_counts_in_the_plans_item_label(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["女性センター"]), ("講座", ["福祉課"])])
    info = open_test_round(session, plan)
    result = compare_rounds(session, round_id=info.id)
    assert (result.unit, result.unit_is_item, result.previous_round_id) == ("取組項目", True, None)
    assert (
        summary_text(result).overall.ja
        == "全2取組項目のうちA・B評価は0取組項目（0%）（未回答 2取組項目）"
    )
