"""The interaction layer read like a dialog: what a department member types, what comes back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.interaction import Actor, Inbound, handle
from handlers.interaction.intents import ChooseDepartment, Text
from handlers.interaction.text import reply_text
from handlers.organization.directory import find_department
from handlers.organization.identities import create_invite, link_identity
from handlers.reporting.rounds import VIEW, close_round, resolve_round
from models import ROLE_OFFICE, AuditEntry, ReportRevision
from tests.factories import SMALL_PLAN, build_plan, open_test_round

NOW = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def org(session: Session) -> int:
    plan = build_plan(
        session,
        items=SMALL_PLAN,
    )
    open_test_round(session, plan)
    return plan.organization_id


def say(session: Session, org: int, user: str, text: str, *, delivery: str | None = None) -> str:
    actor = Actor(organization_id=org, platform="console", person=user, chat_id=user)
    reply = handle(session, Inbound(actor, Text(text), NOW, date(2024, 5, 1), delivery))
    return "" if reply is None else reply_text(reply)


def choose(session: Session, org: int, user: str, dept: str) -> str:
    actor = Actor(organization_id=org, platform="console", person=user, chat_id=user)
    department = find_department(session, organization_id=org, name=dept).id
    reply = handle(session, Inbound(actor, ChooseDepartment(department), NOW, date(2024, 5, 1)))
    assert reply is not None
    return reply_text(reply)


def join(session: Session, org: int, user: str, dept: str, role: str = "member") -> None:
    department = find_department(session, organization_id=org, name=dept)
    link_identity(session, department=department, platform="console", external_id=user, role=role)


def revisions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReportRevision)) or 0


def test_unlinked_user_is_told_how_to_link_and_nothing_is_stored(
    session: Session, org: int
) -> None:
    reply = say(session, org, "u1", "1 B 周知した")
    assert "招待コード" in reply and "link" in reply
    assert revisions(session) == 0


def test_link_with_code_then_answer_several_lines(session: Session, org: int) -> None:
    code = create_invite(
        session, department=find_department(session, organization_id=org, name="女性センター")
    ).code
    assert "女性センターに登録しました" in say(session, org, "u1", f"link {code.lower()}")
    reply = say(session, org, "u1", "１　ｂ　市広報紙で周知した\n2 A 講座を3回開催")
    assert "・[1] 広報紙で周知 → B「市広報紙で周知した」 … 保存" in reply
    assert "・[2] 講座の開催 → A「講座を3回開催」 … 保存" in reply
    assert "全2件すべて回答済み" in reply
    assert "すでに使われています" in say(session, org, "u2", f"link {code}")


def test_one_bad_line_stores_nothing(session: Session, org: int) -> None:
    join(session, org, "u1", "女性センター")
    reply = say(session, org, "u1", "1 B ok\n2 Z だめ\n3 A 他課")
    assert "2行目: 達成度「Z」は使えません" in reply
    assert "3行目: 項目 3 は女性センターの担当ではありません" in reply
    assert "何も保存していません" in reply
    assert revisions(session) == 0


def test_unreadable_line_says_how_to_write_it(session: Session, org: int) -> None:
    join(session, org, "u1", "女性センター")
    assert "「項目番号 達成度 コメント」の形" in say(session, org, "u1", "周知しました")


def test_pending_and_status_for_a_member(session: Session, org: int) -> None:
    join(session, org, "u1", "女性センター")
    say(session, org, "u1", "1 B 周知")
    pending = say(session, org, "u1", "未回答")
    assert pending.splitlines() == ["女性センター: 未回答 1件（全2件）", "[2] 講座の開催"]
    status = say(session, org, "u1", "状況")
    assert "回答 1/2件" in status and "50%" in status


def test_office_sees_every_department(session: Session, org: int) -> None:
    join(session, org, "boss", "女性センター", role=ROLE_OFFICE)
    say(session, org, "boss", "1 C 周知")
    status = say(session, org, "boss", "status")
    assert "回答 1/4件" in status
    assert "秘書広報課" in status and "職員課" in status
    assert "未回答のある担当課: 女性センター(1)、秘書広報課(1)、職員課(1)" in say(
        session, org, "boss", "pending"
    )


def test_member_of_two_departments_is_asked_which(session: Session, org: int) -> None:
    join(session, org, "u1", "女性センター")
    join(session, org, "u1", "秘書広報課")
    assert "どの課として回答するか" in say(session, org, "u1", "1 B x")
    assert revisions(session) == 0
    assert "秘書広報課: 全1件すべて回答済み" in choose(session, org, "u1", "秘書広報課")
    # The choice holds: the next answer goes to the same department.
    assert "秘書広報課" in say(session, org, "u1", "1 A y")
    assert revisions(session) == 2


def test_office_proxy_answers_are_audited_and_may_be_late(session: Session, org: int) -> None:
    join(session, org, "boss", "女性センター", role=ROLE_OFFICE)
    join(session, org, "u3", "職員課")
    assert "職員課として回答します" in say(session, org, "boss", "担当課 職員課")
    assert "職員課: 全1件すべて回答済み" in say(session, org, "boss", "3 B 事務局が代理入力")
    rnd = resolve_round(session, organization_id=org, ref=None, purpose=VIEW)
    close_round(session, rnd=rnd)
    assert "締め切られました" in say(session, org, "u3", "3 A 追加")  # a member is refused
    assert "修正（第2版）" in say(session, org, "boss", "3 A 遅れて届いた")  # the office is not
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "proxy_answer")).all()
    assert [(a.detail["department"], a.detail["late_entry"]) for a in audit] == [
        ("職員課", False),
        ("職員課", True),
    ]


def test_redelivered_message_is_stored_once(session: Session, org: int) -> None:
    join(session, org, "u1", "女性センター")
    say(session, org, "u1", "1 B 周知", delivery="ev-1")
    assert say(session, org, "u1", "1 A 別の内容", delivery="ev-1") == ""
    assert revisions(session) == 1


def test_a_delivery_is_claimed_with_who_asks_linked_or_not(session: Session, org: int) -> None:
    """On PostgreSQL the claim and who asks are one statement (always a row: the claim's).
    An unlinked chat's delivery is claimed too; a member of two departments is asked which,
    and the choice (conversation state, seen with the links) holds for the next delivery."""
    assert "招待コード" in say(session, org, "u9", "1 B x", delivery="ev-u9")
    assert say(session, org, "u9", "1 B x", delivery="ev-u9") == ""
    join(session, org, "u1", "女性センター")
    join(session, org, "u1", "秘書広報課")
    assert "どの課として回答するか" in say(session, org, "u1", "1 B x", delivery="ev-1")
    assert say(session, org, "u1", "1 B x", delivery="ev-1") == ""
    assert "秘書広報課: 全1件すべて回答済み" in choose(session, org, "u1", "秘書広報課")
    assert "秘書広報課" in say(session, org, "u1", "1 A y", delivery="ev-2")
    assert say(session, org, "u1", "1 A y", delivery="ev-2") == ""
    assert revisions(session) == 2


def test_help_lists_the_rounds_grades(session: Session, org: int) -> None:
    assert "A 計画以上 100%～" in say(session, org, "nobody", "ヘルプ")


def test_language_is_chosen_per_identity(session: Session, org: int) -> None:
    join(session, org, "u1", "女性センター")
    assert "English" in say(session, org, "u1", "language en")
    reply = say(session, org, "u1", "1 B Announced")
    assert "stored" in reply and "1 of 2 items unanswered" in reply
    assert "deadline" in say(session, org, "u1", "status")
    assert "日本語" in say(session, org, "u1", "言語 ja")
    assert "未回答 1件" in say(session, org, "u1", "pending")


def test_office_status_follows_every_answer_revision_and_withdrawal(
    session: Session, org: int
) -> None:
    """The office's status is kept between asks (it is the costliest reply) and computed
    again whenever an answer of the round is stored, revised or withdrawn."""
    from handlers.interaction.intents import Unsent

    join(session, org, "boss", "女性センター", role=ROLE_OFFICE)
    join(session, org, "u1", "秘書広報課")
    actor = Actor(organization_id=org, platform="console", person="u1", chat_id="u1")

    def member(intent: Text | Unsent) -> None:
        assert handle(session, Inbound(actor, intent, NOW, date(2024, 5, 1))) is not None

    assert "回答 0/4件" in say(session, org, "boss", "status")
    assert "回答 0/4件" in say(session, org, "boss", "status")  # the same, kept
    member(Text("1 B 周知", message="m1"))
    first = say(session, org, "boss", "status")
    assert "回答 1/4件" in first and "A:0  B:1" in first
    member(Text("1 A 年4回", message="m2"))  # a revision: same count, another grade
    revised = say(session, org, "boss", "status")
    assert "回答 1/4件" in revised and "A:1  B:0" in revised
    member(Unsent("m2"))  # withdrawn: back to B, with B's time
    assert say(session, org, "boss", "status") == first
