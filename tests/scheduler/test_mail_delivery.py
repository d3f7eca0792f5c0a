"""A round by e-mail alone: the scheduler sends through the real MailMessenger (built from
Settings, as `hokoku serve` builds it) to a real SMTP server on 127.0.0.1 (aiosmtpd, with
STARTTLS and AUTH), on both databases.

Departments here have no chat at all: 人権課 has its shared mailbox and a person who reads
English, 子育て支援課 a mailbox, 防災課 an address the mail server refuses, and the office
(男女共同参画室) its own address for the digest and failure notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from bot.messengers import build_messengers
from bot.settings import Settings
from handlers.organization.directory import find_department, get_or_create_department
from handlers.organization.mail_addresses import (
    add_addresses,
    department_addresses,
    parse_addresses,
)
from models import Notification, Round
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.dispatch import deliver_due
from scheduler.outbox import LEASE
from scheduler.runner import tick
from tests.conftest import Db
from tests.factories import build_plan, open_test_round
from tests.fakes.smtp_server import FakeSmtp, Received, TestCertificates, running_smtp
from tests.scheduler.doubles import jst
from tests.scheduler.scenario import answer

CAL = BusinessCalendar()
JINKEN, KOSODATE, BOSAI, OFFICE = "人権課", "子育て支援課", "防災課", "男女共同参画室"
JINKEN_BOX, ALEX, KOSODATE_BOX = (
    "jinken@city.example.lg.jp",
    "alex@city.example.lg.jp",
    "kosodate@city.example.lg.jp",
)
BOSAI_BOX, OFFICE_BOX = "bosai@city.example.lg.jp", "danjo@city.example.lg.jp"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    from tests.fakes.smtp_server import make_certificates

    return make_certificates(tmp_path_factory.mktemp("tls"))


@dataclass
class MailRound:
    round_id: int
    departments: dict[str, int]
    organization_id: int


def mail_round(db: Db) -> MailRound:
    with transaction(db.factory) as s:
        plan = build_plan(
            s,
            items=[
                ("人権啓発", [JINKEN]),
                ("相談窓口", [JINKEN, KOSODATE]),
                ("子育て支援", [KOSODATE]),
                ("防災と<男女共同参画>", [BOSAI]),  # HTML in a title the office typed
            ],
        )
        info = open_test_round(s, plan, deadline=date(2024, 5, 10))
        s.get_one(Round, info.id).opens_on = date(2024, 4, 1)
        org = plan.organization_id
        office = get_or_create_department(s, organization_id=org, name=OFFICE)
        for name, addresses, options in (
            (JINKEN, [JINKEN_BOX], {}),
            (JINKEN, [f"Alex Smith <{ALEX}>"], {"language": "en"}),
            (KOSODATE, [KOSODATE_BOX], {}),
            (BOSAI, [BOSAI_BOX], {}),
        ):
            add_addresses(
                s,
                department=find_department(s, organization_id=org, name=name),
                addresses=parse_addresses(addresses),
                actor="test",
                **options,  # type: ignore[arg-type]
            )
        add_addresses(
            s, department=office, addresses=parse_addresses([OFFICE_BOX]), office=True, actor="t"
        )
        departments = {
            name: find_department(s, organization_id=org, name=name).id
            for name in (JINKEN, KOSODATE, BOSAI)
        }
        return MailRound(info.id, departments, org)


def settings(db: Db, smtp: FakeSmtp, certificates: TestCertificates) -> Settings:
    return Settings(
        database_url=db.url,
        smtp_url=smtp.url,
        smtp_user="hokoku",
        smtp_password=SecretStr("mail-pw"),
        smtp_ca_file=str(certificates.ca_file),
        mail_from="男女共同参画室 <danjo-noreply@city.example.lg.jp>",
        mail_reply_to=OFFICE_BOX,
        mail_rate=0,
    )


def subjects(received: list[Received]) -> list[str]:
    return [r.subject for r in received]


def test_a_round_by_e_mail(db: Db, certificates: TestCertificates, tmp_path: Path) -> None:
    sc = mail_round(db)
    refused = {BOSAI_BOX: "550 5.1.1 <bosai@city.example.lg.jp>: Recipient address rejected"}
    with running_smtp(starttls=certificates, user="hokoku", password="mail-pw") as smtp:
        smtp.handler.refuse.update(refused)
        messengers = build_messengers(settings(db, smtp, certificates), factory=db.factory)
        assert sorted(messengers) == ["console", "email"]

        # The round opens (Monday 4/1): requests, the weekly digest, a refused address.
        first = tick(db.factory, messengers, jst(date(2024, 4, 1)), calendar=CAL)
        assert first.delivery.failed == 1

        [request] = smtp.to(JINKEN_BOX)
        assert request.tls and request.login == "hokoku"
        message = request.message
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
        assert "=?utf-8?" in request.raw.split(b"\r\n\r\n")[0].decode("ascii")  # RFC 2047
        assert request.subject == "令和5年度 テスト計画 報告のお願い（人権課）"
        assert message["From"].addresses[0].display_name == "男女共同参画室"
        assert str(message["Reply-To"]) == OFFICE_BOX
        assert str(message["Auto-Submitted"]) == "auto-generated"
        text = request.part("plain")
        assert "人権課の皆さま" in text and "締切 2024年5月10日、担当 2件・未回答 2件" in text
        assert "  [1] 人権啓発\n  [2] 相談窓口\n" in text
        # No answer link yet (the web console mints it): the mail says how to answer.
        assert "このメールに返信して" in text and "http" not in text
        html = request.part("html")
        assert "<li>[1] 人権啓発</li>" in html and '<html lang="ja">' in html

        [english] = smtp.to(ALEX)
        assert english.subject == "FY2023 テスト計画: please report (人権課)"
        assert "Deadline May 10, 2024; 2 of your 2 items unanswered" in english.part("plain")
        assert '<html lang="en">' in english.part("html")

        [bosai_try] = [a for a in smtp.handler.rcpt_answers if a[0] == BOSAI_BOX]
        assert bosai_try[1].startswith("550") and smtp.to(BOSAI_BOX) == []
        [notice] = smtp.to(OFFICE_BOX)  # the digest is weekly from the next Monday
        assert notice.subject.startswith("【hokoku】防災課 へのメールを送れませんでした（email")
        assert "bosai@city.example.lg.jp" in notice.subject
        assert "550 5.1.1" in notice.part("plain")
        assert "hokoku dept email 防災課" in notice.part("plain")

        # 人権課 answers everything the next day; the others do not.
        answer(db.factory, sc, JINKEN, 1, 2)  # type: ignore[arg-type]
        day = date(2024, 4, 2)
        while day <= date(2024, 5, 24):
            tick(db.factory, messengers, jst(day), calendar=CAL)
            day += timedelta(days=1)

        assert len(smtp.to(JINKEN_BOX)) == len(smtp.to(ALEX)) == 1  # answered: nothing more
        kosodate = subjects(smtp.to(KOSODATE_BOX))
        assert kosodate == [
            "令和5年度 テスト計画 報告のお願い（子育て支援課）",
            *["令和5年度 テスト計画 報告のリマインド（子育て支援課）"] * 4,
            *["令和5年度 テスト計画 報告期限を過ぎています（子育て支援課）"] * 3,
        ]
        last_chase = smtp.to(KOSODATE_BOX)[-1].part("plain")
        assert "  [2] 相談窓口\n  [3] 子育て支援\n" in last_chase
        # The refused address was tried on each ask and reported to the office once.
        notices = [s for s in subjects(smtp.to(OFFICE_BOX)) if s.startswith("【hokoku】")]
        assert len(notices) == 1
        digests = [r for r in smtp.to(OFFICE_BOX) if "回答状況" in r.subject]
        assert digests[0].subject == "令和5年度 テスト計画 回答状況（締切 2024年5月10日）"
        assert "・防災課（1件）" in digests[0].part("plain")
        assert "<li>[4] 防災と&lt;男女共同参画&gt;</li>" in digests[0].part("html")  # escaped
        assert len(digests) > 5 and "・子育て支援課（2件）" in digests[-1].part("plain")
        assert "人権課" not in digests[-1].part("plain")
        ids = [r.message_id for r in smtp.received]
        assert len(ids) == len(set(ids))  # every message once

        # Running the dispatcher again, and the tick again, sends nothing twice.
        count = len(smtp.received)
        again = tick(db.factory, messengers, jst(date(2024, 5, 24), 11), calendar=CAL)
        assert again.delivery.sent == 0 and again.enqueued == 0
        assert (
            deliver_due(db.factory, messengers, worker="w2", now=jst(date(2024, 5, 24), 12)).sent
            == 0
        )
        assert len(smtp.received) == count

        # The at-least-once window: a sender died after the server's 250, before the outbox
        # row was marked sent. The resend after the lease carries the same Message-ID.
        with transaction(db.factory) as s:
            last = s.scalars(
                select(Notification)
                .where(Notification.department_id == sc.departments[KOSODATE])
                .order_by(Notification.id.desc())
            ).first()
            assert last is not None and last.status == "sent"
            s.execute(
                update(Notification)
                .where(Notification.id == last.id)
                .values(status="claimed", claimed_by="dead", claimed_at=jst(date(2024, 5, 24)))
            )
        later = jst(date(2024, 5, 24)) + LEASE + timedelta(minutes=1)
        assert tick(db.factory, messengers, later, calendar=CAL).delivery.sent == 1
        first_copy, second_copy = smtp.to(KOSODATE_BOX)[-2:]
        assert first_copy.message_id == second_copy.message_id

    with transaction(db.factory) as s:
        bosai = department_addresses(
            s, department=find_department(s, organization_id=sc.organization_id, name=BOSAI)
        )
    assert [(a.address, a.failed_error) for a in bosai] == [
        (
            BOSAI_BOX,
            "SMTP: recipient refused: 550 5.1.1 <bosai@city.example.lg.jp>: "
            "Recipient address rejected",
        )
    ]


def test_a_temporary_failure_is_retried_with_backoff_then_sent(
    db: Db, certificates: TestCertificates
) -> None:
    sc = mail_round(db)
    with running_smtp(starttls=certificates, user="hokoku", password="mail-pw") as smtp:
        smtp.handler.refuse[KOSODATE_BOX] = "451 4.7.1 Greylisted, try again later"
        messengers = build_messengers(settings(db, smtp, certificates), factory=db.factory)
        now = jst(date(2024, 4, 1))
        result = tick(db.factory, messengers, now, calendar=CAL)
        assert result.delivery.retried == 1 and smtp.to(KOSODATE_BOX) == []
        with transaction(db.factory) as s:
            row = s.scalars(
                select(Notification).where(Notification.department_id == sc.departments[KOSODATE])
            ).one()
            assert row.status == "pending" and row.last_error is not None
            assert "451" in row.last_error
        del smtp.handler.refuse[KOSODATE_BOX]
        assert (
            tick(db.factory, messengers, now + timedelta(seconds=10), calendar=CAL).delivery.sent
            == 0
        )
        later = tick(db.factory, messengers, now + timedelta(seconds=31), calendar=CAL)
        assert later.delivery.sent == 1
        [request] = smtp.to(KOSODATE_BOX)
        assert request.subject == "令和5年度 テスト計画 報告のお願い（子育て支援課）"
        with transaction(db.factory) as s:
            assert (
                s.scalars(select(Notification.status).where(Notification.id == row.id)).one()
                == "sent"
            )
