"""One dialog, three channels: the same script through the console, the Slack app over
signed HTTP and the LINE webhook, in Japanese and in English (zulip_bots' style: a list of
(message, expected reply)).

Each channel runs against its own organization in one database, so the test can compare
what the channels stored (the same answers, revisions and audit rows) and what they
replied (the same text, word for word) after the whole script.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot import console
from bot.runtime import Runtime
from bot.server import build_app, configure_platforms
from bot.settings import Settings
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.organization.identities import create_invite, link_identity
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import VIEW, close_round, resolve_round
from models import (
    ROLE_MEMBER,
    ROLE_OFFICE,
    Assignment,
    AuditEntry,
    Department,
    Indicator,
    IndicatorValueRevision,
    Item,
    Plan,
    Report,
)
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.bot.line.conftest import CHANNEL_SECRET, postback_event, text_event
from tests.bot.line.conftest import sign as line_sign
from tests.bot.slack.harness import (
    SIGNING_SECRET,
    SlackHarness,
    TrackingExecutor,
)
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan, open_test_round
from tests.fakes.line_api import FakeLineApi, running_fake_line_api
from tests.fakes.slack_api import FakeSlackApi

INDICATORS = [
    ("16", "審議会等の女性委員の割合", 30.0, 40.0, "女性センター"),
    ("17", "男性職員の育児休業取得率", 10.0, 50.0, "職員課"),
]
_events = itertools.count(1)


# --- the script ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """`who` sends `text` ({code} = a fresh invite code); the reply contains `expect`."""

    who: str
    text: tuple[str, str]  # (ja, en)
    expect: tuple[str, str]


@dataclass(frozen=True)
class Link:
    who: str
    department: str
    role: str = ROLE_MEMBER


@dataclass(frozen=True)
class Invite:
    """The office hands out a code for `department` (used by the next Say as {code})."""

    department: str


@dataclass(frozen=True)
class Choose:
    """`who` picks `department` from the choice in the last reply (button / quick reply /
    typed on the console)."""

    who: str
    department: str
    expect: tuple[str, str]


@dataclass(frozen=True)
class Close:
    """The office closes the round (CLI)."""


Step = Say | Link | Invite | Choose | Close

SCRIPT: list[Step] = [
    # An unlinked sender is told how to link; nothing is stored.
    Say("U9", ("1 B 周知した", "1 B announced"), ("まだ担当課に登録されていません", "not linked")),
    # Link with an invite code.
    Invite("女性センター"),
    Say(
        "U1",
        ("link {code}", "link {code}"),
        ("女性センターに登録しました", "linked to 女性センター"),
    ),
    # Answering, revising, a bad grade, another department's item.
    Say(
        "U1",
        ("1 B 市広報紙で周知した", "1 B City newsletter"),
        (
            "・[1] 広報紙で周知 → B「市広報紙で周知した」 … 保存",
            "• [1] 広報紙で周知 → B “City newsletter” … stored",
        ),
    ),
    Say(
        "U1",
        ("1 A 市広報紙とSNSで周知した", "1 A Newsletter and SNS"),
        ("修正（第2版）", "revised (version 2)"),
    ),
    Say("U1", ("2 Z だめ", "2 Z wrong"), ("達成度「Z」は使えません", "“Z” is not a grade")),
    Say(
        "U1",
        ("3 A 他課", "3 A other"),
        ("項目 3 は女性センターの担当ではありません", "Item 3 is not one of 女性センター's items"),
    ),
    # Pending, status, help.
    Say(
        "U1",
        ("未回答", "pending"),
        ("女性センター: 未回答 1件（全2件）", "女性センター: 1 of 2 items unanswered"),
    ),
    Say("U1", ("状況", "status"), ("回答 1/2件", "Answered 1/2")),
    Say("U1", ("ヘルプ", "help"), ("「項目番号 達成度 コメント」", "“item grade comment”")),
    # Indicators: the department's list, a value reported and revised, bad input explained.
    Say(
        "U1",
        ("指標", "indicator"),
        (
            "・16 審議会等の女性委員の割合: 今年度 未報告（基準値 30% → 目標値 40%、進捗 —）",
            "• 16 審議会等の女性委員の割合: this year not reported (baseline 30% → target 40%,",
        ),
    ),
    Say(
        "U1",
        ("指標 16 35.5", "indicator 16 35.5"),
        (
            "指標 16「審議会等の女性委員の割合」: 35.5% … 保存",
            "Indicator 16 “審議会等の女性委員の割合”: 35.5% … stored",
        ),
    ),
    Say("U1", ("指標 16 36%", "indicator 16 36%"), ("進捗 60%", "progress 60%")),
    Say(
        "U1",
        ("指標 16 120", "indicator 16 120"),
        ("0〜100 の範囲で入力してください", "must be between 0 and 100"),
    ),
    Say(
        "U1",
        ("指標 16 たかい", "indicator 16 high"),
        ("数字で送ってください（例: 指標 16 62.3）", "is not a number: send e.g. indicator 16"),
    ),
    Say(
        "U1",
        ("指標 16 36人", "indicator 16 36人"),
        ("単位「人」が違います（単位は「%」です）", "The unit “人” of “36人” is wrong"),
    ),
    Say("U1", ("指標 17 5", "indicator 17 5"), ("職員課が報告します", "is reported by 職員課")),
    Say(
        "U1",
        ("指標 99 1", "indicator 99 1"),
        (
            "指標 99 はこの計画にありません。指標の番号: 16、17",
            "no indicator 99. Its indicators: 16, 17",
        ),
    ),
    # A sender of two departments chooses which one answers.
    Link("U2", "女性センター"),
    Link("U2", "秘書広報課"),
    Say(
        "U2",
        ("1 C 兼務で回答", "1 C Shared answer"),
        ("どの課として回答するか", "Choose which one"),
    ),
    Choose(
        "U2",
        "秘書広報課",
        ("秘書広報課: 全1件すべて回答済み", "秘書広報課: the 1 item is answered"),
    ),
    # The office answers for another department: a proxy answer, audited.
    Link("UOFF", "女性センター", ROLE_OFFICE),
    Say(
        "UOFF",
        ("担当課 職員課", "dept 職員課"),
        ("職員課として回答します", "you answer for 職員課"),
    ),
    Say(
        "UOFF",
        ("3 B 事務局が代理入力", "3 B Entered by the office"),
        ("職員課: 全1件すべて回答済み", "職員課: the 1 item is answered"),
    ),
    # The office enters an indicator for its department (a proxy, audited).
    Say(
        "UOFF",
        ("指標 17 12.5", "indicator 17 12.5"),
        ("事務局として報告", "reported as the office"),
    ),
    # The office's status: this year beside last year, the summary, the indicators.
    Say("UOFF", ("状況", "status"), ("⚠期限超過 女性センター", "⚠overdue 女性センター")),
    Say(
        "UOFF",
        ("状況", "status"),
        (
            "・合計: 上昇 1・低下 1・変化なし 0（比較できず 2）",
            "• Total: rose 1, fell 1, stayed 0 (not comparable 2)",
        ),
    ),
    Say(
        "UOFF",
        ("状況", "status"),
        (
            "全4件のうちA・B評価は2件（50%）、前年度から1件上昇、1件低下（未回答 1件）",
            "2 of 4 entries (50%) graded A or B; 1 improved, 1 declined on last year",
        ),
    ),
    Say(
        "UOFF",
        ("状況", "status"),
        (
            "・⚠17 男性職員の育児休業取得率: 今年度 12.5%",
            "• ⚠17 男性職員の育児休業取得率: this year 12.5%",
        ),
    ),
    # A department's status stays its own (no comparison).
    Say("U1", ("状況", "status"), ("回答 1/2件", "Answered 1/2")),
    # A closed round refuses departments; the office still enters late answers.
    Close(),
    Say("U1", ("2 B 締切後", "2 B after the deadline"), ("締め切られました", "is closed")),
    Say("UOFF", ("3 A 遅れて届いた", "3 A arrived late"), ("修正（第2版）", "revised (version 2)")),
]


# --- the channels -------------------------------------------------------------------------


class Channel(Protocol):
    name: str
    runtime: Runtime

    def say(self, who: str, text: str) -> str: ...

    def choose(self, who: str, department: str) -> str: ...


@dataclass
class ConsoleChannel:
    runtime: Runtime
    name: str = "console"

    def _session(self, who: str) -> console.ConsoleSession:
        rt = self.runtime
        return console.ConsoleSession(rt.organization_id, who, rt.settings.language)

    def say(self, who: str, text: str) -> str:
        return console.say(self.runtime, self._session(who), text)

    def choose(self, who: str, department: str) -> str:
        word = "担当課" if self.runtime.settings.language == "ja" else "dept"
        return self.say(who, f"{word} {department}")


@dataclass
class SlackChannel:
    runtime: Runtime
    slack: SlackHarness
    name: str = "slack"
    last: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def _reply(self, who: str, before: int) -> str:
        posted = [
            c for c in self.slack.api.of("chat.postMessage") if c.body["channel"] == f"D{who}"
        ]
        assert len(posted) == before + 1, f"one reply expected, got {len(posted) - before}"
        self.last[who] = posted[-1].json_field("blocks") or []
        return str(posted[-1].body["text"])

    def _count(self, who: str) -> int:
        return sum(
            1 for c in self.slack.api.of("chat.postMessage") if c.body["channel"] == f"D{who}"
        )

    def say(self, who: str, text: str) -> str:
        before = self._count(who)
        response = self.slack.dm(who, text, event_id=f"Ev{next(_events)}")
        assert response.status_code == 200
        return self._reply(who, before)

    def choose(self, who: str, department: str) -> str:
        buttons = [e for b in self.last[who] if b["type"] == "actions" for e in b["elements"]]
        chosen = next(b for b in buttons if b["text"]["text"] == department)
        before = self._count(who)
        self.slack.click(who, chosen["action_id"], chosen["value"])
        return self._reply(who, before)


@dataclass
class LineChannel:
    runtime: Runtime
    url: str
    api: FakeLineApi
    name: str = "line"
    last: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _send(self, who: str, event: dict[str, Any]) -> str:
        import httpx

        body = json.dumps({"destination": "Ubot", "events": [event]}).encode()
        before = len(self.api.replies)
        response = httpx.post(
            self.url + "/line/callback",
            content=body,
            headers={"Content-Type": "application/json", "X-Line-Signature": line_sign(body)},
            timeout=30,
        )
        assert response.status_code == 200
        [reply] = self.api.wait_for(before + 1, path="/v2/bot/message/reply")[before:]
        texts = [m for m in reply.messages if m["type"] == "text"]
        self.last[who] = texts[-1]
        return "\n".join(m["text"] for m in texts)

    def say(self, who: str, text: str) -> str:
        return self._send(who, text_event(text, user=who))

    def choose(self, who: str, department: str) -> str:
        items = self.last[who]["quickReply"]["items"]
        data = next(i["action"]["data"] for i in items if i["action"]["label"] == department)
        return self._send(who, postback_event(data, user=who))


# --- running it ---------------------------------------------------------------------------


def _runtime(db: Db, settings: Settings) -> Runtime:
    with transaction(db.factory) as session:
        plan = build_plan(session, items=SMALL_PLAN, organization=settings.organization)
        org_id = get_or_create_organization(session, name=settings.organization).id

        def dept(name: str) -> int:
            return find_department(session, organization_id=org_id, name=name).id

        # Last year: 女性センター's item 1 was C (this year it rises), 職員課's item 3 A (falls).
        last = open_test_round(session, plan, year=2022)
        for name, number, grade in (("女性センター", 1, "C"), ("職員課", 3, "A")):
            submit_answer(
                session,
                round_id=last.id,
                department_id=dept(name),
                item_number=number,
                grade=grade,
                comment="",
                reporter="t",
                channel="test",
            )
        close_round(
            session,
            rnd=resolve_round(session, organization_id=org_id, ref=None, purpose=VIEW),
            actor="t",
        )
        open_test_round(session, plan)
        for position, (number, name, base, target, owner) in enumerate(INDICATORS):
            session.add(
                Indicator(
                    plan_id=plan.id,
                    number=number,
                    name=name,
                    unit="%",
                    baseline_year=2020,
                    baseline_value=base,
                    target_year=2027,
                    target_value=target,
                    department_id=dept(owner),
                    position=position,
                )
            )
    return Runtime(settings=settings, engine=db.engine, factory=db.factory, organization_id=org_id)


@contextmanager
def channels(db: Db, language: str) -> Iterator[list[Channel]]:
    with ExitStack() as stack:
        base = {"database_url": db.url, "language": language}
        found: list[Channel] = [
            ConsoleChannel(_runtime(db, Settings(organization="console-city", **base)))
        ]
        slack_api = FakeSlackApi().start()
        stack.callback(slack_api.stop)
        slack_settings = Settings(
            organization="slack-city",
            slack_bot_token=SecretStr("xoxb-test"),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack_api.url,
            **base,
        )
        slack_runtime = _runtime(db, slack_settings)
        executor = TrackingExecutor()
        stack.callback(executor.shutdown, wait=True)
        platforms = configure_platforms(slack_settings, slack_runtime, slack_executor=executor)
        url = stack.enter_context(
            running_asgi(build_app(slack_settings, slack_runtime, platforms=platforms))
        )
        harness = SlackHarness(url, slack_api, executor, platforms)
        stack.callback(harness.http.close)
        slack_api.reset()
        found.append(SlackChannel(slack_runtime, harness))
        line_api = stack.enter_context(running_fake_line_api())
        line_settings = Settings(
            organization="line-city",
            line_channel_secret=SecretStr(CHANNEL_SECRET),
            line_channel_access_token=SecretStr("test-access-token"),
            line_api_url=line_api.url,
            **base,
        )
        line_runtime = _runtime(db, line_settings)
        line_url = stack.enter_context(running_asgi(build_app(line_settings, line_runtime)))
        found.append(LineChannel(line_runtime, line_url, line_api))
        yield found
        slack_api.assert_within_limits()


def run_script(channel: Channel, language: str) -> list[str]:
    """Run the script; returns every reply (asserting each contains what it should)."""
    index = 0 if language == "ja" else 1
    rt = channel.runtime
    code = ""
    replies: list[str] = []
    for step in SCRIPT:
        if isinstance(step, Link):
            with transaction(rt.factory) as session:
                department = find_department(
                    session, organization_id=rt.organization_id, name=step.department
                )
                link_identity(
                    session,
                    department=department,
                    platform=channel.name,
                    external_id=step.who,
                    role=step.role,
                )
        elif isinstance(step, Invite):
            with transaction(rt.factory) as session:
                department = find_department(
                    session, organization_id=rt.organization_id, name=step.department
                )
                code = create_invite(session, department=department).code
        elif isinstance(step, Close):
            with transaction(rt.factory) as session:
                rnd = resolve_round(
                    session, organization_id=rt.organization_id, ref=None, purpose=VIEW
                )
                close_round(session, rnd=rnd, actor="cli:office")
        elif isinstance(step, Choose):
            reply = channel.choose(step.who, step.department)
            assert step.expect[index] in reply, (channel.name, step, reply)
            replies.append(reply)
        else:
            reply = channel.say(step.who, step.text[index].format(code=code))
            assert step.expect[index] in reply, (channel.name, step, reply)
            replies.append(reply)
    return replies


def stored(channel: Channel) -> dict[str, Any]:
    """What the script left in the organization's data, platform names left out."""
    rt = channel.runtime
    with transaction(rt.factory) as session:
        rows = session.execute(
            select(
                Department.name,
                Item.number,
                Report.grade,
                Report.comment,
                Report.reporter,
                Report.revision,
            )
            .select_from(Report)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .join(Department, Department.id == Assignment.department_id)
            .join(Plan, Plan.id == Item.plan_id)
            .where(Plan.organization_id == rt.organization_id)
            .order_by(Department.name, Item.number, Report.round_id)  # last year first
        ).all()
        audit = [
            (a.actor, a.detail["department"], a.detail["item"], a.detail["late_entry"])
            for a in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "proxy_answer")
                .order_by(AuditEntry.id)
            )
            if a.actor == "UOFF" and a.detail["round"] in _round_ids(session, rt)
        ]
        indicators = [
            (r.value, r.revision, r.reporter, r.department_id is None)
            for r in session.scalars(
                select(IndicatorValueRevision)
                .where(IndicatorValueRevision.value_id.in_(_value_ids(session, rt)))
                .order_by(IndicatorValueRevision.id)
            )
        ]
        proxies = [
            (a.actor, a.detail["indicator"], a.detail["department"], a.detail["value"])
            for a in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "proxy_indicator")
                .order_by(AuditEntry.id)
            )
            if a.detail["round"] in _round_ids(session, rt)
        ]
    return {
        "reports": [tuple(r) for r in rows],
        "audit": audit,
        "indicators": indicators,
        "proxies": proxies,
    }


def _value_ids(session: Any, rt: Runtime) -> set[int]:
    from models import IndicatorValue

    return set(
        session.scalars(
            select(IndicatorValue.id).where(IndicatorValue.round_id.in_(_round_ids(session, rt)))
        )
    )


def _round_ids(session: Any, rt: Runtime) -> set[int]:
    from models import Round

    return set(
        session.scalars(
            select(Round.id).join(Plan).where(Plan.organization_id == rt.organization_id)
        )
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_same_dialog_on_every_channel(db: Db, language: str) -> None:
    with channels(db, language) as found:
        transcripts = {channel.name: run_script(channel, language) for channel in found}
        results = {channel.name: stored(channel) for channel in found}
    console_replies = transcripts["console"]
    for name in ("slack", "line"):
        for step, (mine, theirs) in enumerate(zip(transcripts[name], console_replies, strict=True)):
            assert mine == theirs, (name, step)
    expected = results["console"]
    assert results["slack"] == expected and results["line"] == expected
    late, shared = (
        ("遅れて届いた", "兼務で回答") if language == "ja" else ("arrived late", "Shared answer")
    )
    assert ("職員課", 3, "A", late, "UOFF", 2) in expected["reports"]
    assert ("秘書広報課", 1, "C", shared, "U2", 1) in expected["reports"]
    assert expected["audit"] == [("UOFF", "職員課", 3, False), ("UOFF", "職員課", 3, True)]
    assert expected["indicators"] == [
        (35.5, 1, "U1", False),
        (36.0, 2, "U1", False),
        (12.5, 1, "UOFF", True),
    ]
    assert expected["proxies"] == [("UOFF", "17", "職員課", 12.5)]
