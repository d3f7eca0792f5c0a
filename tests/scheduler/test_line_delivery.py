"""The scheduler delivering through the real LineMessenger to the fake LINE Messaging API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.cli import app
from bot.line.client import LineClient, retry_key
from bot.line.messenger import LineMessenger
from models import Notification
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.outbox import LEASE
from scheduler.runner import tick
from tests.conftest import Db
from tests.factories import build_plan
from tests.fakes.line_api import FakeLineApi, running_fake_line_api
from tests.scheduler.doubles import jst, link
from tests.scheduler.scenario import BOSAI, KOSODATE, answer, build_scenario

CAL = BusinessCalendar()


def pushes_to(api: FakeLineApi, to: str) -> list[dict[str, object]]:
    return [c.body for c in api.pushes if c.body.get("to") == to]


def test_a_round_through_the_fake_line_api(db: Db) -> None:
    sc = build_scenario(db.factory)
    answer(db.factory, sc, KOSODATE, 2)
    with running_fake_line_api() as api:
        messengers = {
            "line": LineMessenger(LineClient(access_token="test-token", api_url=api.url)),
            "slack": sc.slack,
        }
        day = date(2024, 3, 29)
        while day <= date(2024, 5, 24):
            tick(db.factory, messengers, jst(day), calendar=CAL)
            if day == date(2024, 5, 8):
                answer(db.factory, sc, BOSAI, 5)
            day += timedelta(days=1)
        kosodate = pushes_to(api, "G-KOSO")
        bosai = pushes_to(api, "U-BOSAI")
        assert len(kosodate) == 8  # request, 4 reminders, 3 chases
        assert len(bosai) == 4  # request and the reminders up to 5/8
        # Every push is a text intro plus a Flex carousel of exactly the unanswered items.
        for body in kosodate:
            messages = body["messages"]
            assert isinstance(messages, list) and messages[0]["type"] == "text"
            flex = [m for m in messages if m["type"] == "flex"]
            assert flex and "No.3" in str(flex[0]) and "No.2" not in str(flex[0])
        keys = [c.retry_key for c in api.pushes]
        assert len(keys) == len(set(keys)) == 12

        # The at-least-once window: a worker died after LINE accepted a push but before it
        # marked the row sent. The re-send carries the same X-Line-Retry-Key: LINE says 409.
        with transaction(db.factory) as s:
            row = s.scalars(
                select(Notification)
                .where(Notification.identity_id == sc.identities["G-KOSO"])
                .order_by(Notification.id.desc())
            ).first()
            assert row is not None
            key = row.key
            s.execute(
                update(Notification)
                .where(Notification.id == row.id)
                .values(status="claimed", claimed_by="dead", claimed_at=jst(date(2024, 5, 24)))
            )
        later = jst(date(2024, 5, 24)) + LEASE + timedelta(minutes=1)
        result = tick(db.factory, messengers, later, calendar=CAL)
        assert result.delivery.sent == 1
        resent = [c for c in api.pushes if c.retry_key == retry_key(key)]
        assert len(resent) == 2  # sent again over the wire …
        assert len(api.accepted_retry_keys) == 12  # … but delivered by LINE only once


@pytest.fixture
def line_env(db: Db, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLineApi]:
    monkeypatch.setenv("HOKOKU_DATABASE_URL", db.url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with running_fake_line_api() as api:
        monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-token")
        monkeypatch.setenv("LINE_CHANNEL_SECRET", "test-secret")
        monkeypatch.setenv("LINE_API_URL", api.url)
        yield api


def test_round_notify_pushes_each_line_target_once(db: Db, line_env: FakeLineApi) -> None:
    sc = build_scenario(db.factory)
    runner = CliRunner()
    first = runner.invoke(app, ["round", "notify", "--round", str(sc.round_id), "--json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["round", "notify", "--round", str(sc.round_id), "--json"])
    assert again.exit_code == 0, again.output
    assert sorted(c.body["to"] for c in line_env.pushes) == ["G-KOSO", "U-BOSAI"]
    assert '"sent": 0' in again.stdout


def test_round_open_with_notify_asks_at_once(db: Db, line_env: FakeLineApi) -> None:
    with transaction(db.factory) as s:
        build_plan(s, name="計画", items=[("防災", [BOSAI]), ("子育て", [KOSODATE])])
        link(s, BOSAI, platform="line", external_id="U-BOSAI")
    result = CliRunner().invoke(
        app,
        [
            "round",
            "open",
            "--plan",
            "計画",
            "--year",
            "2024",
            "--deadline",
            "2099-05-30",
            "--opens",
            "2099-04-01",
            "--notify",
        ],
    )
    assert result.exit_code == 0, result.output
    (push,) = line_env.pushes
    assert push.body["to"] == "U-BOSAI" and "No.1" in str(push.body["messages"])
