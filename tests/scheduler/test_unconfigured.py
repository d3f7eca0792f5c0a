"""Targets on a platform that is not configured: held (never dropped, never retried), named,
and sent once the platform is configured."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from handlers.ports import OfficeDigest, RoundRequest, Unreachable
from models import Notification, Round
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.messages import office_digest
from scheduler.runner import notify_round, tick
from scheduler.unconfigured import held_messages, hold, unconfigured_links
from tests.conftest import Db
from tests.scheduler.doubles import jst
from tests.scheduler.scenario import BOSAI, JINKEN, KOSODATE, answer, build_scenario

CAL = BusinessCalendar()


def line_rows(db: Db) -> list[Notification]:
    with transaction(db.factory) as s:
        return [
            r
            for r in s.scalars(
                select(Notification)
                .options(selectinload(Notification.identity))
                .order_by(Notification.id)
            )
            if r.identity.platform == "line"
        ]


def test_notify_without_line_holds_and_names_the_line_targets(db: Db) -> None:
    sc = build_scenario(db.factory)
    slack_only = {"slack": sc.slack}
    result = notify_round(db.factory, slack_only, jst(date(2024, 4, 1)), round_id=sc.round_id)
    assert result.delivery.sent == 3  # C-JINKEN, U-JIN1, U-OFFICE
    assert result.delivery.failed == 0
    [line] = result.unconfigured
    assert line.platform == "line" and line.count == 2
    assert line.departments == (KOSODATE, BOSAI)
    assert line.targets == ("line:group:G-KOSO", "line:user:U-BOSAI")
    rows = line_rows(db)
    assert [r.status for r in rows] == ["unconfigured", "unconfigured"]
    assert all(r.attempts == 0 for r in rows)  # held, not tried: no retry, no failure notice
    assert sc.line.attempts == []

    # The next tick (still without LINE) neither drops nor duplicates them.
    later = tick(db.factory, slack_only, jst(date(2024, 4, 1), 11), calendar=CAL)
    assert [u.count for u in later.unconfigured] == [2]
    assert len(line_rows(db)) == 2

    # LINE gets configured: the held requests go out once, built as of now.
    answer(db.factory, sc, BOSAI, 5)
    configured = tick(db.factory, sc.messengers, jst(date(2024, 4, 2)), calendar=CAL)
    assert configured.unconfigured == ()
    assert [s.target.external_id for s in sc.line.sent] == ["G-KOSO"]
    koso = sc.line.sent[0].message
    assert isinstance(koso, RoundRequest) and koso.purpose == "request"
    assert {r.identity.external_id: r.status for r in line_rows(db)} == {
        "G-KOSO": "sent",
        "U-BOSAI": "skipped",  # answered meanwhile: nothing to ask
    }
    tick(db.factory, sc.messengers, jst(date(2024, 4, 2), 11), calendar=CAL)
    assert len(sc.line.sent) == 1


def test_held_messages_are_superseded_like_pending_ones_no_backlog(db: Db) -> None:
    sc = build_scenario(db.factory)
    slack_only = {"slack": sc.slack}
    for day in (date(2024, 4, 1), date(2024, 4, 23), date(2024, 5, 1)):
        tick(db.factory, slack_only, jst(day), calendar=CAL)
    statuses = [(r.key.split(":", 2)[2], r.status) for r in line_rows(db)]
    held = [key for key, status in statuses if status == "unconfigured"]
    assert held == ["reminder:2024-05-01", "reminder:2024-05-01"]  # only the latest ask
    tick(db.factory, sc.messengers, jst(date(2024, 5, 1), 11), calendar=CAL)
    assert sorted(s.key.split(":", 2)[2] for s in sc.line.sent) == held


def test_pending_rows_of_a_platform_that_lost_its_settings_are_held(db: Db) -> None:
    sc = build_scenario(db.factory)
    tick(db.factory, sc.messengers, jst(date(2024, 4, 1)), calendar=CAL, deliver=False)
    with transaction(db.factory) as s:
        assert hold(s, configured={"slack"}) == 2
    with transaction(db.factory) as s:
        [line] = held_messages(s, configured={"slack"}, round_id=sc.round_id)
        assert (line.platform, line.count) == ("line", 2)
        assert held_messages(s, configured={"slack", "line"}) == ()
    assert {r.status for r in line_rows(db)} == {"unconfigured"}


def test_links_on_unconfigured_platforms_per_round_and_organization(db: Db) -> None:
    sc = build_scenario(db.factory)
    with transaction(db.factory) as s:
        org = s.get_one(Round, sc.round_id).plan.organization_id
        [line] = unconfigured_links(
            s, configured={"slack", "console"}, organization_id=org, round_id=sc.round_id
        )
        assert (line.platform, line.count, line.departments) == ("line", 2, (KOSODATE, BOSAI))
        found = unconfigured_links(s, configured={"console"}, organization_id=org)
        assert [(u.platform, u.count) for u in found] == [("line", 2), ("slack", 3)]
        assert unconfigured_links(s, configured={"slack", "line"}, organization_id=org) == ()


def test_the_office_digest_lists_departments_only_an_unconfigured_platform_reaches(
    db: Db,
) -> None:
    sc = build_scenario(db.factory)
    answer(db.factory, sc, JINKEN, 1, 2)
    with transaction(db.factory) as s:
        rnd = s.get_one(Round, sc.round_id)
        digest = office_digest(s, rnd=rnd, require_missing=False, configured={"slack"})
        assert isinstance(digest, OfficeDigest)
        assert digest.unreachable == (Unreachable("line", (KOSODATE, BOSAI)),)
        everything = office_digest(s, rnd=rnd, require_missing=False, configured={"slack", "line"})
        assert everything is not None and everything.unreachable == ()
    # The digest the scheduler sends carries the line too (office on Slack, LINE missing).
    tick(db.factory, {"slack": sc.slack}, jst(date(2024, 4, 8)), calendar=CAL)
    [sent] = [s.message for s in sc.slack.to("U-OFFICE") if isinstance(s.message, OfficeDigest)]
    assert isinstance(sent, OfficeDigest)
    assert sent.unreachable == (Unreachable("line", (KOSODATE, BOSAI)),)
    assert sent.round_id == sc.round_id
