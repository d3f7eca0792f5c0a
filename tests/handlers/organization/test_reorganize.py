"""機構改革: renaming and merging departments keeps every answer, link and lookup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound
from handlers.organization.directory import find_department
from handlers.organization.identities import create_invite, link_identity, memberships
from handlers.organization.reorganize import merge_departments, rename_department
from handlers.reporting.history import slot_history
from handlers.reporting.reports import department_slots, submit_answer
from models import (
    ROLE_OFFICE,
    AuditEntry,
    ChatIdentity,
    Department,
    DepartmentAlias,
    InviteCode,
    Notification,
)
from tests.factories import build_plan, open_test_round

T0 = datetime(2024, 4, 10, 9, tzinfo=UTC)


def _answer(
    session: Session, round_id: int, dept: Department, item: int, grade: str, at: datetime
) -> None:
    submit_answer(
        session,
        round_id=round_id,
        department_id=dept.id,
        item_number=item,
        grade=grade,
        comment=f"{dept.name}の回答{grade}",
        reporter=f"{dept.name}の人",
        channel="console",
        now=at,
    )


def test_rename_keeps_the_old_name_findable(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["協働コミュニティ課"]), ("講座", ["公民館"])])
    org = plan.organization_id
    dept = find_department(session, organization_id=org, name="協働コミュニティ課")
    outcome = rename_department(
        session, organization_id=org, old="協働コミュニティ課", new="市民協働課", actor="cli:t"
    )
    assert (outcome.old_name, outcome.new_name) == ("協働コミュニティ課", "市民協働課")
    assert dept.name == "市民協働課"
    for typed in ("協働コミュニティ課", "協働 コミュニティ課", "市民協働課"):
        assert find_department(session, organization_id=org, name=typed).id == dept.id
    [audit] = session.scalars(select(AuditEntry).where(AuditEntry.action == "dept_rename"))
    assert audit.detail | {"department_id": 0} == {
        "department_id": 0,
        "old": "協働コミュニティ課",
        "new": "市民協働課",
    }

    with pytest.raises(InvalidInput, match="hokoku dept merge 市民協働課 公民館"):
        rename_department(session, organization_id=org, old="市民協働課", new="公民館", actor="")
    with pytest.raises(InvalidInput, match="すでにその名前"):
        rename_department(
            session, organization_id=org, old="市民協働課", new="市民協働課", actor=""
        )
    with pytest.raises(NotFound, match="担当課「図書館」が見つかりません"):
        rename_department(session, organization_id=org, old="図書館", new="市立図書館", actor="")

    # Renaming back: the former name becomes the name again and is no longer an alias.
    rename_department(
        session, organization_id=org, old="市民協働課", new="協働コミュニティ課", actor=""
    )
    aliases = session.scalars(select(DepartmentAlias.name).order_by(DepartmentAlias.name)).all()
    assert aliases == ["市民協働課"]
    assert dept.name == "協働コミュニティ課"


def test_merge_moves_assignments_answers_links_and_codes(session: Session) -> None:
    plan = build_plan(
        session,
        items=[
            ("保健の周知", ["健康課 保健係"]),
            ("健診", ["健康課 保健係", "健康課"]),  # both: the slots are combined
            ("相談", ["健康課"]),
            ("母子保健", ["健康課", "健康課 保健係"]),  # both, only the section answered
        ],
    )
    org = plan.organization_id
    section = find_department(session, organization_id=org, name="健康課 保健係")
    health = find_department(session, organization_id=org, name="健康課")
    last = open_test_round(session, plan, year=2022)
    _answer(session, last.id, section, 2, "C", T0)
    _answer(session, last.id, health, 2, "B", T0 + timedelta(hours=1))
    _answer(session, last.id, section, 2, "A", T0 + timedelta(hours=2))  # the latest of all
    this = open_test_round(session, plan, year=2023)
    _answer(session, this.id, section, 1, "B", T0)
    _answer(session, this.id, section, 4, "D", T0)

    person = link_identity(session, department=section, platform="line", external_id="Uaaa")
    both = link_identity(session, department=section, platform="slack", external_id="U1")
    link_identity(session, department=health, platform="slack", external_id="U1", role=ROLE_OFFICE)
    session.add(
        Notification(
            key="r1:i1:reminder:2024-05-01",
            round_id=this.id,
            identity_id=both.id,
            platform="slack",
            department_id=section.id,
            purpose="reminder",
            due_at=T0,
        )
    )
    invite = create_invite(session, department=section)
    session.flush()

    outcome = merge_departments(
        session, organization_id=org, source="健康課　保健係", target="健康課", actor="cli:t"
    )
    assert (outcome.source_name, outcome.target_name) == ("健康課 保健係", "健康課")
    assert (outcome.moved_assignments, outcome.shared_items, outcome.combined_answers) == (1, 2, 1)
    assert outcome.moved_links == 2
    session.expire_all()

    assert session.get(Department, section.id) is None
    assert find_department(session, organization_id=org, name="健康課 保健係").id == health.id
    # This year's answers now belong to 健康課, on the same items.
    slots = {
        s.item_number: s.grade
        for s in department_slots(session, round_id=this.id, department_id=health.id)
    }
    assert slots == {1: "B", 2: None, 3: None, 4: "D"}
    # Last year: both had answered item 2; every revision is kept, the latest is current.
    history = slot_history(session, round_id=last.id, department_id=health.id, item_number=2)
    assert [(r.revision, r.grade, r.reporter) for r in history] == [
        (1, "C", "健康課 保健係の人"),
        (2, "B", "健康課の人"),
        (3, "A", "健康課 保健係の人"),
    ]
    [item2] = department_slots(session, round_id=last.id, department_id=health.id, item_number=2)
    assert (item2.grade, item2.revision) == ("A", 3)

    # Chat: the LINE user moved; the Slack user linked to both keeps one (office) link.
    assert [
        m.department_name for m in memberships(session, platform="line", external_id="Uaaa")
    ] == ["健康課"]
    [slack] = memberships(session, platform="slack", external_id="U1")
    assert (slack.department_name, slack.is_office) == ("健康課", True)
    assert session.get(ChatIdentity, person.id) is not None
    assert session.get(ChatIdentity, both.id) is None
    [note] = session.scalars(select(Notification))
    assert (note.identity_id, note.department_id) == (slack.identity_id, health.id)
    code = session.scalar(select(InviteCode).where(InviteCode.id == invite.id))
    assert code is not None and code.department_id == health.id
    [audit] = session.scalars(select(AuditEntry).where(AuditEntry.action == "dept_merge"))
    assert audit.detail["source"] == "健康課 保健係" and audit.detail["combined_answers"] == 1


def test_merge_refuses_the_same_department_twice(session: Session) -> None:
    plan = build_plan(session, items=[("周知", ["市民協働課"])])
    org = plan.organization_id
    rename_department(session, organization_id=org, old="市民協働課", new="協働推進課", actor="")
    with pytest.raises(InvalidInput, match="同じ担当課（協働推進課）"):
        merge_departments(
            session, organization_id=org, source="市民協働課", target="協働推進課", actor=""
        )
