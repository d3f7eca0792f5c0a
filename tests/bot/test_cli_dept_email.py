"""`hokoku dept email`: register, list and remove a department's addresses, on both databases,
in Japanese and English."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models import ChatIdentity
from models.db import transaction
from tests.bot.cli_helpers import Invoke, flat, make_invoke
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan


@pytest.fixture
def cli(db: Db, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    for name in ("HOKOKU_SMTP_URL", "HOKOKU_MAIL_FROM", "HOKOKU_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    with transaction(db.factory) as session:
        build_plan(session, items=SMALL_PLAN)
    return make_invoke(db)


def departments(cli: Invoke) -> list[str]:
    listed = json.loads(cli("dept", "list", "--json").stdout)
    return [d["name"] for d in listed]


def test_add_list_and_remove_addresses(cli: Invoke, db: Db) -> None:
    dept = departments(cli)[0]
    added = cli(
        "dept", "email", dept, "kikaku＠city.example.lg.jp", "田中 花子 <tanaka@city.example.lg.jp>"
    )
    assert added.exit_code == 0, added.output
    assert f"メール kikaku@city.example.lg.jp → {dept}（担当者）" in added.stdout
    assert f"メール tanaka@city.example.lg.jp（田中 花子） → {dept}（担当者）" in added.stdout
    # Not sent until the mail server is configured: said once, on stderr.
    assert "HOKOKU_SMTP_URL と HOKOKU_MAIL_FROM を設定するまで" in flat(added.stderr)

    office = cli("dept", "email", dept, "danjo@city.example.lg.jp", "--office", "--language", "en")
    assert office.exit_code == 0 and "（事務局）" in office.stdout

    listed = cli("dept", "email", dept, "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == {
        "department": dept,
        "addresses": [
            {
                "address": address,
                "name": name,
                "role": role,
                "language": language,
                "failed_due": None,
                "failed_error": None,
            }
            for address, name, role, language in (
                ("danjo@city.example.lg.jp", "", "office", "en"),
                ("kikaku@city.example.lg.jp", "", "member", None),
                ("tanaka@city.example.lg.jp", "田中 花子", "member", None),
            )
        ],
    }
    table = cli("dept", "email", dept)
    assert table.exit_code == 0 and "田中 花子" in table.stdout and "事務局" in table.stdout

    shown = json.loads(cli("dept", "list", "--json").stdout)
    [mine] = [d for d in shown if d["name"] == dept]
    assert {(i["platform"], i["kind"], i["id"]) for i in mine["identities"]} == {
        ("email", "address", "danjo@city.example.lg.jp"),
        ("email", "address", "kikaku@city.example.lg.jp"),
        ("email", "address", "tanaka@city.example.lg.jp"),
    }

    removed = cli(
        "dept", "email", dept, "KIKAKU@city.example.lg.jp", "nobody@x.example.jp", "--remove"
    )
    assert removed.exit_code == 0, removed.output
    assert f"メール KIKAKU@city.example.lg.jp を{dept}から外しました。" in removed.stdout
    assert f"メール nobody@x.example.jp は{dept}に登録されていません。" in removed.stdout
    with transaction(db.factory) as s:
        active = s.scalars(
            select(ChatIdentity.external_id).where(
                ChatIdentity.platform == "email", ChatIdentity.active.is_(True)
            )
        ).all()
    assert sorted(active) == ["danjo@city.example.lg.jp", "tanaka@city.example.lg.jp"]


def test_an_invalid_address_stores_nothing_and_says_why(cli: Invoke, db: Db) -> None:
    dept = departments(cli)[0]
    result = cli("dept", "email", dept, "ok@city.example.lg.jp", "kikaku.city.example.lg.jp")
    assert result.exit_code == 1
    assert "「kikaku.city.example.lg.jp」はメールアドレスとして使えません: @ がありません" in flat(
        result.stderr
    )
    with transaction(db.factory) as s:
        assert s.scalars(select(ChatIdentity).where(ChatIdentity.platform == "email")).all() == []


def test_english_output_and_errors(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOKOKU_SMTP_URL", raising=False)
    with transaction(db.factory) as session:
        build_plan(session, items=SMALL_PLAN)
    cli = make_invoke(db, HOKOKU_LANGUAGE="en")
    dept = departments(cli)[0]
    none = cli("dept", "email", dept)
    assert none.exit_code == 0
    assert f"{dept} has no e-mail address (register one with hokoku dept email" in flat(none.stdout)
    bad = cli("dept", "email", dept, "kikaku@city")
    assert bad.exit_code == 1
    assert "the domain after the @ is not valid" in flat(bad.stderr)
    language = cli("dept", "email", dept, "a@city.example.jp", "--language", "fr")
    assert language.exit_code == 1 and "(ja or en)" in flat(language.stderr)
    ok = cli("dept", "email", dept, "a@city.example.jp")
    assert f"E-mail a@city.example.jp → {dept} (member)" in ok.stdout


def test_the_unconfigured_notice_is_left_out_once_mail_is_configured(
    cli: Invoke, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOKOKU_SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setenv("HOKOKU_MAIL_FROM", "danjo@city.example.lg.jp")
    dept = departments(cli)[0]
    result = cli("dept", "email", dept, "a@city.example.lg.jp")
    assert result.exit_code == 0 and result.stderr == ""
