"""Indicators (指標・目標値): Kiyose's table in, values per round with revisions, progress."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.committee.indicator_values import (
    IndicatorCommand,
    parse_indicator_argument,
    parse_value,
)
from handlers.committee.indicators import (
    import_indicators,
    indicator_status,
    report_indicator_value,
)
from handlers.errors import InvalidInput, NotFound, PermissionDenied, RoundClosed
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.table_import import import_plan
from handlers.reporting.reports import DUPLICATE, REVISED, STORED, UNCHANGED
from handlers.reporting.rounds import close_round, open_round
from models import IndicatorValueRevision, Plan, Round


@pytest.fixture
def kiyose(session: Session, samples_dir: Path) -> Plan:
    org = get_or_create_organization(session, name="清瀬市").id
    result = import_plan(session, organization_id=org, path=samples_dir / "kiyose_plan.csv")
    plan = session.get_one(Plan, result.plan_id)
    import_indicators(session, plan_id=plan.id, path=samples_dir / "kiyose_indicators.csv")
    return plan


@pytest.fixture
def round_id(session: Session, kiyose: Plan) -> int:
    return open_round(
        session,
        plan=kiyose,
        fiscal_year=2023,
        deadline=date(2024, 5, 31),
        opens_on=date(2024, 4, 1),
    ).id


def center_id(session: Session, plan: Plan) -> int:
    return find_department(
        session, organization_id=plan.organization_id, name="男女共同参画センター"
    ).id


def report(
    session: Session,
    round_id: int,
    dept: int | None,
    number: str,
    value: str,
    key: str | None = None,
) -> str:
    return report_indicator_value(
        session,
        round_id=round_id,
        department_id=dept,
        number=number,
        value=value,
        reporter="U123",
        channel="line",
        source_key=key,
    ).status


def test_kiyose_indicators_import_with_baseline_and_target(session: Session, round_id: int) -> None:
    first, second = indicator_status(session, round_id=round_id)
    assert (first.number, first.name, first.unit) == (
        "16",
        "男女共同参画センター（アイレック）の認知度",
        "%",
    )
    assert (first.baseline_year, first.baseline_value) == (2016, 59.1)
    assert (first.target_year, first.target_value) == (2027, 80.0)
    assert first.department_name == "男女共同参画センター"
    assert first.source == "清瀬市男女平等に関する意識・実態調査"
    assert (second.number, second.baseline_value, second.target_value) == ("17", 41.4, 60.0)
    assert (first.value, first.progress, first.on_track) == (None, None, None)
    # FY2023 is 7 of the 11 years from 2016 to 2027 along the straight line 59.1 → 80.
    assert first.expected == round(59.1 + 20.9 * 7 / 11, 2)


def test_reported_values_show_progress_and_on_track(
    session: Session, kiyose: Plan, round_id: int
) -> None:
    center = center_id(session, kiyose)
    assert report(session, round_id, center, "16", "６２．３％") == STORED
    assert report(session, round_id, None, "17", "55") == STORED  # the office enters it
    first, second = indicator_status(session, round_id=round_id)
    assert (first.value, first.progress, first.on_track) == (62.3, 15.3, False)
    assert (second.value, second.progress, second.on_track) == (55.0, 73.1, True)
    assert report(session, round_id, center, "16", "75", key="ev-1") == REVISED
    assert report(session, round_id, center, "16", "75", key="ev-1") == DUPLICATE
    assert report(session, round_id, center, "16", "75.0") == UNCHANGED
    [first, _] = indicator_status(session, round_id=round_id)
    assert (first.value, first.revision, first.on_track) == (75.0, 2, True)
    revisions = session.execute(
        select(
            IndicatorValueRevision.revision,
            IndicatorValueRevision.value,
            IndicatorValueRevision.source_key,
        ).order_by(IndicatorValueRevision.id)
    ).all()
    assert [tuple(r) for r in revisions] == [(1, 62.3, None), (1, 55.0, None), (2, 75.0, "ev-1")]


def test_values_are_checked_against_unit_owner_and_round(
    session: Session, kiyose: Plan, round_id: int
) -> None:
    center = center_id(session, kiyose)
    with pytest.raises(InvalidInput, match="0〜100"):
        report(session, round_id, center, "16", "120")
    with pytest.raises(InvalidInput, match="数字で"):
        report(session, round_id, center, "16", "高い")
    with pytest.raises(InvalidInput, match="単位「人」が違います"):
        report(session, round_id, center, "16", "62人")
    with pytest.raises(NotFound, match="指標 99 はこの計画にありません。指標の番号: 16、17"):
        report(session, round_id, center, "99", "1")
    other = find_department(session, organization_id=kiyose.organization_id, name="職員課").id
    with pytest.raises(PermissionDenied, match="男女共同参画センターが報告します"):
        report(session, round_id, other, "16", "62")
    close_round(session, rnd=session.get_one(Round, round_id))
    with pytest.raises(RoundClosed):
        report(session, round_id, None, "16", "62")


def test_counts_are_never_negative() -> None:
    from handlers.committee.indicator_values import check_value

    check_value(0, unit="人")
    with pytest.raises(InvalidInput, match="0 以上"):
        check_value(-1, unit="人")
    check_value(-3.5, unit="ポイント")  # a unit without a range
    assert parse_value("1,234人", unit="人") == 1234.0


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_lists_every_problem(session: Session, kiyose: Plan, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.csv",
        "番号,指標,単位,基準年度,基準値,目標年度,目標値,所管\n"
        "1,参加者数,人,平成28年度,-5,2027,100,男女共同参画センター\n"
        "1,重複,%,2016,10,2027,20,\n"
        "2,相談件数,件,昔,3,2027,,存在しない課\n",
    )
    with pytest.raises(InvalidInput) as caught:
        import_indicators(session, plan_id=kiyose.id, path=bad)
    message = caught.value.message
    for part in (
        "2行目 E列: 値 -5人 は 0 以上で入力してください",
        "3行目 A列: 番号 1 が 2行目にもあります",
        "4行目 D列: 年度「昔」を読み取れません",
        "4行目 G列: 指標 2 の目標値を入れてください",
        "4行目 H列: 担当課「存在しない課」が見つかりません",
    ):
        assert part in message
    with pytest.raises(InvalidInput, match="目標値 の列がありません"):
        import_indicators(
            session, plan_id=kiyose.id, path=write(tmp_path / "n.csv", "番号,指標\n1,x\n")
        )


def test_reimport_updates_by_number_and_keeps_values(
    session: Session, kiyose: Plan, round_id: int, tmp_path: Path
) -> None:
    report(session, round_id, None, "16", "62.3")
    only_17 = write(tmp_path / "17.csv", "番号,指標,単位,目標値\n17,認知度,%,70\n")
    with pytest.raises(InvalidInput, match="値が入力済みの指標 16"):
        import_indicators(session, plan_id=kiyose.id, path=only_17)
    both = write(tmp_path / "both.csv", "番号,指標,単位,目標値\n16,認知度,%,90\n17,認知度,%,70\n")
    result = import_indicators(session, plan_id=kiyose.id, path=both)
    assert (result.added, result.updated, result.removed) == (0, 2, 0)
    [first, _] = indicator_status(session, round_id=round_id)
    assert (first.target_value, first.value, first.baseline_value, first.progress) == (
        90.0,
        62.3,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "command"),
    [
        (" 16 62.3", IndicatorCommand("16", "62.3", 62.3)),
        ("16　６２．３％", IndicatorCommand("16", "62.3%", 62.3)),
        ("16", IndicatorCommand("16")),
        ("", IndicatorCommand()),
    ],
)
def test_chat_form_of_indicators(text: str, command: IndicatorCommand) -> None:
    """What follows `指標` / `indicator` (the command table finds the word)."""
    assert parse_indicator_argument(text) == command
    assert (
        command.kind
        == {0: "list", 1: "show", 2: "report"}[
            (command.number is not None) + (command.value_text is not None)
        ]
    )


def test_chat_form_refuses_what_it_cannot_read() -> None:
    with pytest.raises(InvalidInput, match="数字で送ってください"):
        parse_indicator_argument("16 たかい")
    with pytest.raises(InvalidInput, match="指標 番号 値"):
        parse_indicator_argument("16 62.3 です")
