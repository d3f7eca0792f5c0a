"""A simulated round over the Nishitokyo sample plan (111 items, 35 departments).

Every department is linked (Slack channels and LINE groups alternately); a third answers
everything early, a third answers on the morning of the third reminder, a third answers
only its first item. The injected clock ticks three times a day through the whole round.
Messages go through the real SlackMessenger and LineMessenger (built from Settings) to
the fake Slack Web API and the fake LINE Messaging API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.messengers import build_messengers
from bot.settings import Settings
from handlers.organization.directory import get_or_create_organization
from handlers.plan.table_import import import_plan
from handlers.ports import Messenger, OfficeDigest, OutboundMessage, RoundRequest, Target
from handlers.reporting.reports import department_slots, submit_answer
from handlers.reporting.rounds import open_round
from models import ChatIdentity, Department, Plan
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.runner import tick
from tests.conftest import Db
from tests.fakes.line_api import FakeLineApi, running_fake_line_api
from tests.fakes.slack_api import FakeSlackApi
from tests.scheduler.doubles import Sent, jst, link

CAL = BusinessCalendar()
REQUEST = date(2024, 4, 1)
REMINDERS = [date(2024, 4, 23), date(2024, 5, 1), date(2024, 5, 8), date(2024, 5, 9)]
CHASES = [date(2024, 5, 14), date(2024, 5, 16), date(2024, 5, 20)]


def answer_items(db: Db, round_id: int, department_id: int, numbers: list[int]) -> None:
    with transaction(db.factory) as s:
        for number in numbers:
            submit_answer(
                s,
                round_id=round_id,
                department_id=department_id,
                item_number=number,
                grade="B",
                comment="実施",
                reporter="sim",
                channel="test",
            )


class Recording:
    """Notes what the scheduler hands to a real messenger, then lets it deliver."""

    def __init__(self, inner: Messenger) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.sent: list[Sent] = []

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        self.inner.send(target, message, key=key, resend=resend)
        self.sent.append(Sent(target, message, key))

    def to(self, external_id: str) -> list[Sent]:
        return [s for s in self.sent if s.target.external_id == external_id]


@pytest.fixture
def fake_line() -> Iterator[FakeLineApi]:
    with running_fake_line_api() as api:
        yield api


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    api = FakeSlackApi().start()
    yield api
    api.stop()
    api.assert_within_limits()


def test_nishitokyo_round_each_department_gets_exactly_the_planned_messages(
    db: Db, samples_dir: Path, fake_slack: FakeSlackApi, fake_line: FakeLineApi
) -> None:
    with transaction(db.factory) as s:
        org = get_or_create_organization(s, name="default")
        imported = import_plan(s, organization_id=org.id, path=samples_dir / "nishitokyo_plan.csv")
        plan = s.get_one(Plan, imported.plan_id)
        rnd = open_round(
            s, plan=plan, fiscal_year=2023, deadline=date(2024, 5, 10), opens_on=date(2024, 4, 1)
        )
        departments = list(
            s.scalars(
                select(Department)
                .where(Department.organization_id == org.id)
                .order_by(Department.id)
            )
        )
        assert len(departments) == 35
        for n, dept in enumerate(departments):
            platform, kind = ("slack", "channel") if n % 2 == 0 else ("line", "group")
            link(s, dept.name, platform=platform, external_id=f"T{dept.id}", kind=kind)
        office = link(s, departments[0].name, platform="slack", external_id="U-OFFICE", office=True)
        office_id = office.id
        items = {
            d.id: [v.item_number for v in department_slots(s, round_id=rnd.id, department_id=d.id)]
            for d in departments
        }
    early = [d.id for n, d in enumerate(departments) if n % 3 == 0]
    late = [d.id for n, d in enumerate(departments) if n % 3 == 1]
    partial = [d.id for n, d in enumerate(departments) if n % 3 == 2]
    events = {
        date(2024, 4, 5): lambda: [answer_items(db, rnd.id, d, items[d][:1]) for d in partial],
        date(2024, 4, 10): lambda: [answer_items(db, rnd.id, d, items[d]) for d in early],
        date(2024, 5, 8): lambda: [answer_items(db, rnd.id, d, items[d]) for d in late],
    }
    settings = Settings(
        database_url=db.url,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_api_url=fake_slack.url,
        line_channel_access_token=SecretStr("line-test"),
        line_api_url=fake_line.url,
    )
    real = build_messengers(settings, paced=False)
    messengers = {p: Recording(real[p]) for p in ("slack", "line")}
    day = date(2024, 3, 29)
    while day <= date(2024, 5, 24):
        for hour in (8, 10, 15):
            tick(db.factory, messengers, jst(day, hour), calendar=CAL)
            if hour == 10 and day in events:
                events[day]()
        day += timedelta(days=1)

    sent = messengers["slack"].sent + messengers["line"].sent
    keys = [s.key for s in sent]
    assert len(keys) == len(set(keys))
    by_target: dict[str, list[RoundRequest]] = {}
    for s in sent:
        if isinstance(s.message, RoundRequest):
            by_target.setdefault(s.target.external_id, []).append(s.message)

    def days_of(dept_id: int) -> list[date]:
        return [
            date.fromisoformat(k.split(":")[3]) if k.count(":") == 3 else REQUEST
            for k in keys
            if k.startswith(f"r{rnd.id}:") and f":i{identity_of[dept_id]}:" in k
        ]

    with transaction(db.factory) as s:
        identity_of = {
            i.department_id: i.id
            for i in s.scalars(select(ChatIdentity).where(ChatIdentity.role == "member"))
        }
    for dept in early:
        assert days_of(dept) == [REQUEST], dept
    for dept in late:
        assert days_of(dept) == [REQUEST, *REMINDERS[:3]], dept
    for dept in partial:
        remaining = items[dept][1:]
        expected = [REQUEST, *REMINDERS, *CHASES] if remaining else [REQUEST]
        assert days_of(dept) == expected, dept
        asks = by_target[f"T{dept}"]
        assert [p.number for p in asks[0].pending] == items[dept]
        for later in asks[1:]:
            assert [p.number for p in later.pending] == remaining
    digests = [s.message for s in messengers["slack"].to("U-OFFICE")]
    last = [m for m in digests if isinstance(m, OfficeDigest)][-1]
    missing = {line.department_name for line in last.missing}
    with transaction(db.factory) as s:
        names = {d.id: d.name for d in s.scalars(select(Department))}
    assert missing == {names[d] for d in partial if items[d][1:]}
    assert office_id not in identity_of.values()

    # What the platforms received: one post / push per planned message, none twice.
    posts = Counter(c.body["channel"] for c in fake_slack.of("chat.postMessage"))
    pushes = Counter(c.body["to"] for c in fake_line.pushes)
    for n, dept in enumerate(departments):
        received = posts if n % 2 == 0 else pushes
        assert received[f"T{dept.id}"] == len(days_of(dept.id)), dept.name
    line_keys = [c.retry_key for c in fake_line.pushes]
    assert len(line_keys) == len(set(line_keys)) == len(fake_line.accepted_retry_keys)
    slack_keys = [
        c.json_field("metadata")["event_payload"]["key"] for c in fake_slack.of("chat.postMessage")
    ]
    assert len(slack_keys) == len(set(slack_keys)) == len(messengers["slack"].sent)
