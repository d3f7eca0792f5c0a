"""A department's e-mail addresses: what the office types is read (full-width, a person's
name), what no mail server takes is refused with the reason, and linking is idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.i18n import translator
from handlers.organization.directory import find_department
from handlers.organization.mail_addresses import (
    ParsedAddress,
    add_addresses,
    department_addresses,
    parse_address,
    parse_addresses,
    remove_addresses,
)
from handlers.organization.reorganize import merge_departments
from models import AuditEntry, ChatIdentity, Department, MailAddress
from tests.factories import build_plan


@pytest.mark.parametrize(
    ("typed", "address", "name"),
    [
        ("jinken@city.example.lg.jp", "jinken@city.example.lg.jp", ""),
        ("  Jinken@City.Example.LG.JP ", "Jinken@city.example.lg.jp", ""),
        ("ｊｉｎｋｅｎ＠ｃｉｔｙ．ｅｘａｍｐｌｅ．ｊｐ", "jinken@city.example.jp", ""),  # IME
        ("田中 花子 <tanaka@city.example.jp>", "tanaka@city.example.jp", "田中 花子"),
        ('"田中　花子" ＜tanaka@city.example.jp＞', "tanaka@city.example.jp", "田中 花子"),
        ("hanako.tanaka+hokoku@city.example.jp", "hanako.tanaka+hokoku@city.example.jp", ""),
        ("kikaku@市役所.example.jp", "kikaku@xn--7sto6a74d.example.jp", ""),
    ],
)
def test_addresses_as_the_office_types_them(typed: str, address: str, name: str) -> None:
    assert parse_address(typed) == ParsedAddress(address, name)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("jinken.city.example.jp", "@ がありません"),
        ("", "アドレスがありません"),
        ("田中 <>", "アドレスがありません"),
        ("jin ken@city.example.jp", "空白か 2つ目の @"),
        ("a@b@city.example.jp", "空白か 2つ目の @"),
        (".jinken@city.example.jp", "@ の前に使えない文字"),
        ("jin..ken@city.example.jp", "@ の前に使えない文字"),
        ("人権課@city.example.jp", "@ の前に使えない文字"),
        ("jinken@localhost", "@ の後ろのドメイン"),
        ("jinken@city_example.jp", "@ の後ろのドメイン"),
        ("jinken@-city.example.jp", "@ の後ろのドメイン"),
        ("jinken@", "@ の後ろのドメイン"),
        ("j@" + ".".join(["a" * 60] * 4) + ".jp", "長すぎます（200文字まで）"),
    ],
)
def test_what_no_mail_server_takes_is_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_address(typed)
    assert reason in refused.value.message
    assert "例: jinken@city.example.lg.jp" in refused.value.message


def test_the_reason_in_english() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_address("jinken.city.example.jp")
    assert (
        translator("en")
        .render(refused.value.msg)
        .startswith(
            "“jinken.city.example.jp” is not an e-mail address hokoku can use: there is no @."
        )
    )


def test_one_bad_address_refuses_the_whole_command_line() -> None:
    with pytest.raises(InvalidInput):
        parse_addresses(["a@city.example.jp", "b.city.example.jp"])
    with pytest.raises(InvalidInput) as none:
        parse_addresses([])
    assert "1つ以上" in none.value.message
    twice = parse_addresses(["a@city.example.jp", "A@City.Example.jp"])
    assert [p.address for p in twice] == ["a@city.example.jp"]


def _department(session: Session, name: str = "人権課") -> Department:
    plan = build_plan(session, items=[("人権啓発", ["人権課"]), ("広報", ["秘書広報課"])])
    return find_department(session, organization_id=plan.organization_id, name=name)


def test_adding_is_idempotent_and_keeps_the_persons_name(session: Session) -> None:
    dept = _department(session)
    first = add_addresses(
        session,
        department=dept,
        addresses=parse_addresses(["田中 花子 <tanaka@city.example.jp>", "jinken@city.example.jp"]),
        actor="cli:test",
    )
    assert [(a.address, a.name, a.role) for a in first] == [
        ("tanaka@city.example.jp", "田中 花子", "member"),
        ("jinken@city.example.jp", "", "member"),
    ]
    again = add_addresses(
        session,
        department=dept,
        addresses=parse_addresses(["Tanaka@CITY.example.jp"]),
        language="en",
        actor="cli:test",
    )
    assert [(a.address, a.name, a.language) for a in again] == [
        ("Tanaka@city.example.jp", "田中 花子", "en")  # the new spelling, the name kept
    ]
    identities = session.scalars(
        select(ChatIdentity).where(ChatIdentity.platform == "email").order_by(ChatIdentity.id)
    ).all()
    assert [(i.external_id, i.kind, i.department_id) for i in identities] == [
        ("Tanaka@city.example.jp", "address", dept.id),
        ("jinken@city.example.jp", "address", dept.id),
    ]
    listed = department_addresses(session, department=dept)
    assert [(a.address, a.name, a.language) for a in listed] == [
        ("jinken@city.example.jp", "", None),
        ("Tanaka@city.example.jp", "田中 花子", "en"),
    ]


def test_remove_then_add_again_and_the_audit(session: Session) -> None:
    dept = _department(session)
    add_addresses(
        session, department=dept, addresses=parse_addresses(["a@city.example.jp"]), actor="cli:x"
    )
    removed = remove_addresses(
        session,
        department=dept,
        addresses=parse_addresses(["A@city.example.jp", "never@city.example.jp"]),
        actor="cli:x",
    )
    assert [(p.address, was) for p, was in removed] == [
        ("A@city.example.jp", True),
        ("never@city.example.jp", False),
    ]
    assert department_addresses(session, department=dept) == []
    [back] = add_addresses(
        session,
        department=dept,
        addresses=parse_addresses(["a@city.example.jp"]),
        office=True,
        actor="cli:x",
    )
    assert back.active and back.office
    assert session.scalar(select(ChatIdentity.id).where(ChatIdentity.platform == "email")) == (
        back.identity_id  # the same row, linked again
    )
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["link", "unlink", "link"]


def test_an_address_moves_with_its_department_when_departments_merge(session: Session) -> None:
    dept = _department(session)
    add_addresses(
        session,
        department=dept,
        addresses=parse_addresses(["田中 <tanaka@city.example.jp>"]),
        actor="cli:x",
    )
    merge_departments(
        session,
        organization_id=dept.organization_id,
        source="人権課",
        target="秘書広報課",
        actor="cli:x",
    )
    target = find_department(session, organization_id=dept.organization_id, name="秘書広報課")
    assert [(a.address, a.name) for a in department_addresses(session, department=target)] == [
        ("tanaka@city.example.jp", "田中")
    ]
    assert session.scalar(select(MailAddress.name)) == "田中"
