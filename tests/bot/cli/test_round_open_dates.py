"""`round open` dates relative to today and the default fiscal year; times in HOKOKU_TIMEZONE."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime import today_in
from handlers.fiscal import reiwa_label, reported_fiscal_year
from models import ReportRevision
from models.db import transaction
from tests.bot.cli_helpers import Invoke, flat, make_invoke
from tests.conftest import Db
from tests.factories import build_plan

TZ = "Pacific/Honolulu"  # far from UTC, so a UTC time shown by mistake would be visible


@pytest.fixture
def cli(db: Db) -> Invoke:
    with transaction(db.factory) as session:
        build_plan(session, items=[("広報紙で周知", ["女性センター"])])
    return make_invoke(db, HOKOKU_TIMEZONE=TZ)


@pytest.mark.parametrize(
    ("deadline", "days"), [("+28d", 28), ("+4w", 28), ("+10", 10), ("＋２ｗ", 14)]
)
def test_deadline_relative_to_today_and_last_fiscal_year_by_default(
    cli: Invoke, deadline: str, days: int
) -> None:
    today = today_in(TZ)
    result = cli("round", "open", "--plan", "テスト計画", "--deadline", deadline, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["deadline"] == (today + timedelta(days=days)).isoformat()
    assert data["opens_on"] == today.isoformat()
    assert data["fiscal_year"] == reported_fiscal_year(today)
    status = json.loads(cli("status", "--json").stdout)
    assert status["label"] == reiwa_label(reported_fiscal_year(today))


def test_the_year_follows_opens_and_an_explicit_year_wins(cli: Invoke) -> None:
    spring = cli(
        "round",
        "open",
        "--plan",
        "テスト計画",
        "--opens",
        "2025-05-01",
        "--deadline",
        "2025-05-30",
        "--json",
    )
    assert json.loads(spring.stdout)["fiscal_year"] == 2024  # 令和6年度, the year that just ended
    march = cli(
        "round",
        "open",
        "--plan",
        "テスト計画",
        "--opens",
        "2025-03-10",
        "--deadline",
        "2025-03-31",
        "--json",
    )
    assert json.loads(march.stdout)["fiscal_year"] == 2023
    explicit = cli(
        "round", "open", "--plan", "テスト計画", "--year", "2020", "--deadline", "+1w", "--json"
    )
    assert json.loads(explicit.stdout)["fiscal_year"] == 2020


def test_an_unreadable_relative_date_says_how_to_write_it(cli: Invoke) -> None:
    result = cli("round", "open", "--plan", "テスト計画", "--deadline", "+4m")
    assert result.exit_code == 1
    assert "--deadline の日付「+4m」を読み取れません" in flat(result.stderr)
    assert "+28d・+4w" in flat(result.stderr)


def test_report_history_shows_times_in_the_office_time_zone(cli: Invoke, db: Db) -> None:
    assert cli("round", "open", "--plan", "テスト計画", "--deadline", "+4w").exit_code == 0
    assert (
        cli("report", "set", "--dept", "女性センター", "--item", "1", "--grade", "B").exit_code == 0
    )
    with db.factory() as session:
        stored = session.scalars(select(ReportRevision.created_at)).one()
    local = stored.astimezone(ZoneInfo(TZ))
    history = json.loads(
        cli("report", "history", "--dept", "女性センター", "--item", "1", "--json").stdout
    )
    assert history[0]["at"] == local.isoformat() and history[0]["at"].endswith("-10:00")
    table = cli("report", "history", "--dept", "女性センター", "--item", "1").stdout
    assert f"日時 ({TZ})" in flat(table)
    assert f"{local:%Y-%m-%d %H:%M}" in table
    if f"{stored:%H:%M}" != f"{local:%H:%M}":
        assert f"{stored:%Y-%m-%d %H:%M}" not in table
