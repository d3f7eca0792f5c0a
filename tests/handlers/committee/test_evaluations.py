"""The committee's evaluation per 施策: set, import, the sheet the export reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.committee.evaluations import (
    STORED,
    UNCHANGED,
    evaluation_sheet,
    import_evaluations,
    set_evaluation,
)
from handlers.committee.results_import import import_results
from handlers.errors import InvalidInput, NotFound
from handlers.organization.directory import get_or_create_organization
from handlers.plan.settings import edit_plan
from handlers.plan.table_import import import_plan
from models import Item, Plan

SAMPLE = "tsurugashima_results_excerpt.csv"


@pytest.fixture
def tsurugashima(session: Session, samples_dir: Path) -> tuple[Plan, int]:
    """The excerpt as plan 第4次 with its FY2023 results; the committee evaluates 施策."""
    org = get_or_create_organization(session, name="鶴ヶ島市").id
    result = import_plan(session, organization_id=org, path=samples_dir / SAMPLE, name="第4次")
    plan = session.get_one(Plan, result.plan_id)
    edit_plan(session, plan_id=plan.id, evaluation_level="施策")
    imported = import_results(
        session,
        organization_id=org,
        plan_id=plan.id,
        path=samples_dir / SAMPLE,
        fiscal_year=2023,
        reporter="t",
    )
    return plan, imported.round_id


def test_set_by_code_path_or_title_and_the_sheet(
    session: Session, tsurugashima: tuple[Plan, int]
) -> None:
    plan, round_id = tsurugashima
    first = set_evaluation(
        session,
        round_id=round_id,
        node="1",
        grade="ａ",
        comment="啓発が着実に進んだ",
        proposal="若年層への発信を",
        evaluator="cli:office",
    )
    assert (first.status, first.grade) == (STORED, "A")
    assert first.node_label == "I 男女共同参画の意識づくり › 1 男女共同参画に関する理解の促進"
    again = set_evaluation(
        session, round_id=round_id, node="I-1", grade="A", evaluator="cli:office"
    )
    assert again.status == UNCHANGED and again.comment == "啓発が着実に進んだ"
    second = set_evaluation(
        session,
        round_id=round_id,
        node="性別による固定的な役割分担意識の解消",
        grade="B",
        evaluator="cli:office",
    )
    assert second.status == STORED

    sheet = evaluation_sheet(session, round_id=round_id)
    assert (sheet.level, sheet.level_label, sheet.round_label) == (2, "施策", "令和5年度")
    one, two = sheet.rows
    assert (one.display, one.grade, one.proposal) == (
        "1 男女共同参画に関する理解の促進",
        "A",
        "若年層への発信を",
    )
    assert (one.items, one.slots, one.answered) == (4, 12, 12)
    assert one.grades == {"A": 0, "B": 12, "C": 0, "D": 0}
    assert (two.items, two.slots, two.grade) == (3, 6, "B")
    item_7 = session.scalar(select(Item.id).where(Item.plan_id == plan.id, Item.number == 7))
    assert item_7 is not None
    row = sheet.for_item(item_7)
    assert row is not None and row.grade == "B"


def test_evaluations_survive_a_plan_reimport(
    session: Session, tsurugashima: tuple[Plan, int], samples_dir: Path
) -> None:
    plan, round_id = tsurugashima
    set_evaluation(session, round_id=round_id, node="2", grade="C", evaluator="x")
    # The plan has a round: the re-import updates in place and rebuilds the node rows.
    import_plan(
        session, organization_id=plan.organization_id, path=samples_dir / SAMPLE, name="第4次"
    )
    [_, two] = evaluation_sheet(session, round_id=round_id).rows
    assert two.grade == "C"


def test_refusals_say_how_to_fix(session: Session, tsurugashima: tuple[Plan, int]) -> None:
    plan, round_id = tsurugashima
    with pytest.raises(InvalidInput, match="A／B／C／D のどれか"):
        set_evaluation(session, round_id=round_id, node="1", grade="S", evaluator="x")
    with pytest.raises(NotFound, match="指定できるもの: I-1（男女共同参画に関する理解の促進）"):
        set_evaluation(session, round_id=round_id, node="9", grade="A", evaluator="x")
    edit_plan(session, plan_id=plan.id, evaluation_scale="S,A,B,C")
    assert (
        set_evaluation(session, round_id=round_id, node="1", grade="S", evaluator="x").grade == "S"
    )
    with pytest.raises(InvalidInput, match="評価する階層「目標」がこの計画にありません"):
        edit_plan(session, plan_id=plan.id, evaluation_level="目標")


def test_a_plan_without_an_evaluation_level_is_told_how_to_set_it(
    session: Session, samples_dir: Path
) -> None:
    from tests.factories import build_plan, open_test_round

    plan = build_plan(session, items=[("周知", ["女性センター"])])
    info = open_test_round(session, plan)
    with pytest.raises(InvalidInput, match="--evaluation-level 施策"):
        set_evaluation(session, round_id=info.id, node="I", grade="A", evaluator="x")
    assert evaluation_sheet(session, round_id=info.id).rows == ()


def test_kiyose_nodes_with_repeated_codes_are_named_by_their_path(
    session: Session, samples_dir: Path
) -> None:
    from tests.factories import open_test_round

    org = get_or_create_organization(session, name="清瀬市").id
    result = import_plan(session, organization_id=org, path=samples_dir / "kiyose_plan.csv")
    plan = session.get_one(Plan, result.plan_id)
    edit_plan(session, plan_id=plan.id, evaluation_level="3")
    info = open_test_round(session, plan)
    with pytest.raises(NotFound, match="複数あります。経路で指定してください: 4-1-1"):
        set_evaluation(session, round_id=info.id, node="1", grade="A", evaluator="x")
    outcome = set_evaluation(session, round_id=info.id, node="4-1-2", grade="A", evaluator="x")
    assert outcome.node_label == "4 › 1 › 2"  # Kiyose writes bare codes in its level columns


def test_import_reads_the_committees_table(
    session: Session, tsurugashima: tuple[Plan, int], tmp_path: Path
) -> None:
    _, round_id = tsurugashima
    set_evaluation(session, round_id=round_id, node="1", grade="B", evaluator="x")
    table = tmp_path / "committee.csv"
    table.write_text(
        "基本目標,施策,評価,評価コメント,提言\n"
        "I 男女共同参画の意識づくり,1 男女共同参画に関する理解の促進,A,よく取り組んだ,継続を\n"
        ",2 性別による固定的な役割分担意識の解消,b,,\n",
        encoding="utf-8",
    )
    result = import_evaluations(session, round_id=round_id, path=table, evaluator="import")
    assert (result.stored, result.updated, result.unchanged) == (1, 1, 0)
    one, two = evaluation_sheet(session, round_id=round_id).rows
    assert (one.grade, one.comment, one.proposal) == ("A", "よく取り組んだ", "継続を")
    assert two.grade == "B"

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "施策,評価\n1 男女共同参画に関する理解の促進,E\n9 ない施策,A\n1,B\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as caught:
        import_evaluations(session, round_id=round_id, path=bad, evaluator="import")
    message = caught.value.message
    assert "2行目: 評価「E」は A／B／C／D にありません" in message
    assert "3行目: 「9 ない施策」が見つかりません" in message
    assert "4行目: 「1」は 2行目にもあります" in message
    [first, _] = evaluation_sheet(session, round_id=round_id).rows
    assert first.grade == "A"  # nothing of the bad table was written
