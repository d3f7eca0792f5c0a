"""With HOKOKU_LANGUAGE=en the command line speaks English: the office's year from opening
the round to the handout prints no Japanese beyond the data's own names (the plan, its
departments and items, the answers, the round's grade scale as stored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from openpyxl import load_workbook

from handlers.scale import DEFAULT_SCALE
from models.db import transaction
from tests.bot.cli_helpers import Invoke, flat, make_invoke
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan
from tests.languages import japanese_outside

# The office's own words: the plan (テスト計画, level 基本目標 › 目標, items 取組項目) and
# its departments, the comment typed below, and the default scale stored on the round.
DATA = (
    "テスト計画",
    "基本目標",
    "目標",
    "取組項目",
    *(title for title, _ in SMALL_PLAN),
    *(name for _, names in SMALL_PLAN for name in names),
    "広報紙に掲載",
    *(part for grade in DEFAULT_SCALE.grades for part in (grade.label, grade.band)),
)


@pytest.fixture
def english(db: Db) -> Invoke:
    with transaction(db.factory) as session:
        build_plan(session, items=SMALL_PLAN)
    return make_invoke(db, HOKOKU_LANGUAGE="en", HOKOKU_ORGANIZATION="default", COLUMNS="1000")


def said(result: Result) -> str:
    """Everything the command printed (stdout and stderr), line breaks of rich removed."""
    return flat(result.stdout + result.stderr)


def test_the_office_s_year_in_english(english: Invoke, tmp_path: Path) -> None:
    handout = tmp_path / "progress.xlsx"
    opened = english("round", "open", "--plan", "テスト計画", "--deadline", "+28d")
    round_id = str(json.loads(english("round", "list", "--json").stdout)[0]["round"])
    runs = {
        "round open": opened,
        "report set": english(
            *("report", "set", "--dept", "女性センター", "--item", "1"),
            *("--grade", "B", "--comment", "広報紙に掲載"),
        ),
        "status": english("status"),
        "status --summary": english("status", "--summary"),
        "export": english("export", "-o", str(handout)),
        "export csv": english("export", "-o", str(tmp_path / "progress.csv")),
        "db status": english("db", "status"),
        "round list": english("round", "list"),
        "round show": english("round", "show"),
        "round schedule": english("round", "schedule", round_id),
        "report history": english("report", "history", "--dept", "女性センター", "--item", "1"),
        "dept list": english("dept", "list"),
        "indicator list": english("indicator", "list"),
        "evaluation list": english("evaluation", "list"),
        "remind --dry-run": english("remind", "--dry-run"),
        "audit": english("audit"),
        "round close": english("round", "close"),
    }
    for name, result in runs.items():
        assert result.exit_code == 0, (name, result.output)
        assert japanese_outside([said(result)], DATA) == [], (name, said(result))

    text = said(opened)
    assert text.startswith("Opened the round of FY") and "Grades: A 計画以上 100%～" in text
    stored = said(runs["report set"])
    assert stored.startswith(f"女性センター round {round_id} (FY") and "→ B" in stored
    assert stored.endswith("stored")
    status = said(runs["status"])
    assert "Answered 1 / 4 (25.0%)" in status and "Per department" in status
    assert f"Progress report of round {round_id} (FY" in said(runs["export"])
    assert "Progress report" in load_workbook(handout).sheetnames
    assert said(runs["db status"]).startswith("Database: ")
    assert f"Closed round {round_id} (FY" in said(runs["round close"])


def test_errors_in_english(english: Invoke) -> None:
    for args, expected in (
        (("status", "--round", "999"), "Round 999 was not found"),
        (("round", "open", "--plan", "ない計画", "--deadline", "+28d"), "There is no plan"),
        (("round", "open", "--plan", "テスト計画", "--deadline", "soon"), "cannot be read"),
        (("export", "-o", "progress.txt"), "has no known format"),
    ):
        result = english(*args)
        assert result.exit_code == 1, args
        message = said(result)
        assert message.startswith("Error: ") and expected in message, message
        assert japanese_outside([message], (*DATA, "ない計画")) == [], message
