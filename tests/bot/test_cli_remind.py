"""`hokoku remind`, `round schedule`, `round edit-schedule`, `round notify` on a real database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from models import Notification, Round
from models.db import transaction
from tests.bot.cli_helpers import flat
from tests.conftest import Db
from tests.scheduler.doubles import link
from tests.scheduler.scenario import CENTER, KOSODATE, answer, build_scenario


@pytest.fixture
def cli(db: Db, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOKOKU_DATABASE_URL", db.url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    return CliRunner()


def test_remind_dry_run_json_lists_targets_departments_and_items(db: Db, cli: CliRunner) -> None:
    sc = build_scenario(db.factory)
    answer(db.factory, sc, KOSODATE, 2)
    result = cli.invoke(app, ["remind", "--at", "2024-04-23T10:00", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    by_target = {r["target"]: r for r in rows if r["purpose"] != "digest"}
    assert by_target["line:group:G-KOSO"]["department"] == KOSODATE
    assert by_target["line:group:G-KOSO"]["purpose"] == "reminder"
    assert by_target["line:group:G-KOSO"]["items"] == [3]
    assert by_target["slack:channel:C-JINKEN"]["items"] == [1, 2]
    assert by_target["slack:user:U-OFFICE"]["purpose"] == "reminder"
    digests = [r for r in rows if r["purpose"] == "digest"]
    assert [(r["target"], r["day"]) for r in digests] == [("slack:user:U-OFFICE", "2024-04-22")]
    assert set(by_target) == {
        "slack:channel:C-JINKEN",
        "slack:user:U-JIN1",
        "line:group:G-KOSO",
        "line:user:U-BOSAI",
        "slack:user:U-OFFICE",
    }
    with transaction(db.factory) as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 0  # dry run


def test_remind_on_a_holiday_lists_nothing(db: Db, cli: CliRunner) -> None:
    build_scenario(db.factory)
    result = cli.invoke(app, ["remind", "--at", "2024-05-06T10:00", "--dry-run", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_remind_sends_through_the_console_messenger_once(db: Db, cli: CliRunner) -> None:
    sc = build_scenario(db.factory)
    with transaction(db.factory) as s:
        link(s, CENTER, platform="console", external_id="terminal")
    answer(db.factory, sc, CENTER, 4)
    result = cli.invoke(app, ["remind", "--at", "2024-04-22T10:00", "--json"])
    assert result.exit_code == 0, result.output
    # Only the console is configured here: the digest to the office goes nowhere else.
    assert '"sent": 0' in result.stdout
    with transaction(db.factory) as s:
        link(s, KOSODATE, platform="console", external_id="kosodate-terminal")
    first = cli.invoke(app, ["remind", "--at", "2024-04-23T10:00"])
    assert "── console:kosodate-terminal" in first.stdout and "報告のリマインド" in first.stdout
    assert "未回答 2件\n[2] 相談窓口\n[3] 子育て支援\n" in first.stdout  # exactly the missing items
    again = cli.invoke(app, ["remind", "--at", "2024-04-23T11:00"])
    assert "kosodate-terminal" not in again.stdout


def test_round_schedule_and_edit_schedule(db: Db, cli: CliRunner) -> None:
    sc = build_scenario(db.factory)
    shown = cli.invoke(app, ["round", "schedule", str(sc.round_id), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    reminders = [s["date"] for s in data["sends"] if s["purpose"] == "reminder"]
    assert reminders == ["2024-04-23", "2024-05-01", "2024-05-08", "2024-05-09"]
    edited = cli.invoke(
        app,
        [
            "round",
            "edit-schedule",
            str(sc.round_id),
            "--reminders",
            "3",
            "--chase-max",
            "1",
            "--send-time",
            "13:00",
        ],
    )
    assert edited.exit_code == 0, edited.output
    data = json.loads(cli.invoke(app, ["round", "schedule", str(sc.round_id), "--json"]).stdout)
    assert [s["date"] for s in data["sends"] if s["purpose"] == "reminder"] == ["2024-05-07"]
    assert [s["date"] for s in data["sends"] if s["purpose"] == "overdue"] == ["2024-05-14"]
    assert data["send_time"] == "13:00"
    # Before 13:00 nothing goes out on 5/7.
    early = cli.invoke(app, ["remind", "--at", "2024-05-07T10:00", "--dry-run", "--json"])
    assert json.loads(early.stdout) == []
    table = cli.invoke(app, ["round", "schedule", str(sc.round_id)])
    assert "リマインド 1" in table.stdout and "督促 1" in table.stdout
    bad = cli.invoke(app, ["round", "edit-schedule", str(sc.round_id), "--chase-every", "0"])
    assert bad.exit_code == 1 and "督促の間隔" in bad.output
    reset = cli.invoke(app, ["round", "edit-schedule", str(sc.round_id), "--reset"])
    assert reset.exit_code == 0
    with transaction(db.factory) as s:
        assert s.get_one(Round, sc.round_id).schedule is None


def test_round_notify_on_unknown_round_is_one_clear_line(db: Db, cli: CliRunner) -> None:
    build_scenario(db.factory)
    result = cli.invoke(app, ["round", "notify", "--round", "999"])
    assert result.exit_code == 1 and "回 999 が見つかりません" in result.output


def test_office_closed_days_move_sends_and_show_in_the_schedule(
    db: Db, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = build_scenario(db.factory)
    monkeypatch.setenv("HOKOKU_CLOSED_DAYS", "05-08:創立記念日,2024-04-23:庁舎点検日")
    data = json.loads(cli.invoke(app, ["round", "schedule", str(sc.round_id), "--json"]).stdout)
    assert data["closed_days"] == [
        {"date": "2024-04-23", "name": "庁舎点検日"},
        {"date": "2024-05-08", "name": "創立記念日"},
    ]
    sent_on = {s["date"] for s in data["sends"]}
    assert not sent_on & {"2024-04-23", "2024-05-08"}
    table = cli.invoke(app, ["round", "schedule", str(sc.round_id)]).stdout
    assert (
        "この回の期間の休業日（HOKOKU_CLOSED_DAYS）: 2024-04-23 庁舎点検日、2024-05-08 創立記念日"
        in table.replace("\n", "")
    )
    # Nothing goes out on the office's closed day.
    closed = cli.invoke(app, ["remind", "--at", "2024-05-08T10:00", "--dry-run", "--json"])
    assert json.loads(closed.stdout) == []


def test_a_malformed_closed_days_setting_is_one_clear_line(
    db: Db, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = build_scenario(db.factory)
    monkeypatch.setenv("HOKOKU_CLOSED_DAYS", "10-01,11/31")
    for args in (["round", "schedule", str(sc.round_id)], ["remind", "--dry-run"]):
        result = cli.invoke(app, args)
        assert result.exit_code == 1
        assert "HOKOKU_CLOSED_DAYS の「11/31」を読み取れません" in result.output
        assert "Traceback" not in result.output


LINE_HINT = "LINE_CHANNEL_SECRET/LINE_CHANNEL_ACCESS_TOKEN を設定してください"


def test_round_notify_names_the_targets_of_unconfigured_platforms(db: Db, cli: CliRunner) -> None:
    sc = build_scenario(db.factory)
    result = cli.invoke(app, ["round", "notify", "--round", str(sc.round_id)])
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "送信 0 件" in out and "未設定で保留 5 件" in out
    assert f"LINE が未設定のため 2 件送れません（{LINE_HINT}）: {KOSODATE}、防災課。" in out
    assert "宛先: line:group:G-KOSO、line:user:U-BOSAI" in out
    assert "Slack が未設定のため 3 件送れません（SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET" in out
    again = cli.invoke(app, ["round", "notify", "--round", str(sc.round_id), "--json"])
    data = json.loads(again.stdout)
    assert data["sent"] == 0 and data["failed"] == 0
    line = next(u for u in data["unconfigured"] if u["platform"] == "line")
    assert line == {
        "platform": "line",
        "count": 2,
        "departments": [KOSODATE, "防災課"],
        "targets": ["line:group:G-KOSO", "line:user:U-BOSAI"],
    }
    with transaction(db.factory) as s:  # held once, not dropped and not doubled
        statuses = s.scalars(select(Notification.status)).all()
    assert sorted(statuses) == ["unconfigured"] * 5


def test_remind_json_reports_messages_held_for_unconfigured_platforms(
    db: Db, cli: CliRunner
) -> None:
    build_scenario(db.factory)
    result = cli.invoke(app, ["remind", "--at", "2024-04-01T10:00", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sent"] == 0 and data["failed"] == 0
    assert {u["platform"]: u["count"] for u in data["unconfigured"]} == {"line": 2, "slack": 3}


def test_round_schedule_warns_about_unconfigured_platforms(db: Db, cli: CliRunner) -> None:
    sc = build_scenario(db.factory)
    shown = cli.invoke(app, ["round", "schedule", str(sc.round_id)])
    assert shown.exit_code == 0, shown.output
    out = flat(shown.stdout)
    assert (
        f"注意: LINE が未設定のため、連携済みの 2 件（{KOSODATE}、防災課）に送れません（{LINE_HINT}）。"
        in out
    )
    data = json.loads(cli.invoke(app, ["round", "schedule", str(sc.round_id), "--json"]).stdout)
    assert [(u["platform"], u["count"]) for u in data["unconfigured"]] == [
        ("line", 2),
        ("slack", 3),
    ]
