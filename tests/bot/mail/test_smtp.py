"""Handing mail to a real SMTP server (aiosmtpd on 127.0.0.1): TLS, AUTH, and what each
answer means to the outbox (refused for good, or try again later)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import SecretStr

from bot.mail.compose import compose
from bot.mail.smtp import SmtpServer, SmtpTransport
from handlers.i18n import translator
from handlers.ports import DeliveryError, PendingItem, RoundRequest, Target
from tests.fakes.smtp_server import (
    RecordingHandler,
    TestCertificates,
    free_port,
    running_smtp,
)

SENDER = "男女共同参画室 <danjo@city.example.lg.jp>"
REQUEST = RoundRequest(
    purpose="request",
    round_id=1,
    fiscal_year=2025,
    plan_title="第5次男女平等参画推進計画",
    deadline=date(2025, 5, 30),
    department_id=1,
    department_name="人権課",
    total_items=1,
    pending=(PendingItem(1, "人権啓発"),),
    grades=("A", "B", "C", "D"),
)


def mail_to(address: str) -> object:
    return compose(
        translator("ja"),
        REQUEST,
        target=Target("email", address, "address"),
        key="r1:i1:request",
        sender=SENDER,
    )


def server(url: str, **options: object) -> SmtpServer:
    return SmtpServer.from_url(url, timeout=5.0, **options)  # type: ignore[arg-type]


def test_starttls_when_offered_then_auth(certificates: TestCertificates) -> None:
    with running_smtp(starttls=certificates, user="hokoku", password="s3cret") as smtp:
        transport = SmtpTransport(
            server(
                smtp.url,
                user="hokoku",
                password=SecretStr("s3cret"),
                ca_file=str(certificates.ca_file),
            )
        )
        transport.deliver(mail_to("jinken@city.example.lg.jp"))  # type: ignore[arg-type]
        [received] = smtp.received
    assert received.tls and received.login == "hokoku"
    assert received.mail_from == "danjo@city.example.lg.jp"
    assert received.rcpt_tos == ("jinken@city.example.lg.jp",)
    assert received.subject == "令和7年度 第5次男女平等参画推進計画 報告のお願い（人権課）"


# aiosmtpd warns about AUTH without STARTTLS; on smtps the connection is TLS from the start.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtps_is_tls_from_the_start(certificates: TestCertificates) -> None:
    with running_smtp(implicit_tls=certificates, user="hokoku", password="pw") as smtp:
        assert smtp.url.startswith("smtps://")
        transport = SmtpTransport(
            server(
                smtp.url, user="hokoku", password=SecretStr("pw"), ca_file=str(certificates.ca_file)
            )
        )
        transport.deliver(mail_to("jinken@city.example.lg.jp"))  # type: ignore[arg-type]
        assert [r.tls for r in smtp.received] == [True]


def test_plain_server_without_auth_gets_the_mail_in_clear() -> None:
    with running_smtp() as smtp:
        SmtpTransport(server(smtp.url)).deliver(mail_to("a@city.example.lg.jp"))  # type: ignore[arg-type]
        assert [(r.tls, r.login) for r in smtp.received] == [(False, None)]


def test_a_wrong_password_is_a_temporary_failure_that_names_the_settings(
    certificates: TestCertificates,
) -> None:
    with running_smtp(starttls=certificates, user="hokoku", password="right") as smtp:
        transport = SmtpTransport(
            server(
                smtp.url,
                user="hokoku",
                password=SecretStr("wrong-pw"),
                ca_file=str(certificates.ca_file),
            )
        )
        with pytest.raises(DeliveryError) as failed:
            transport.deliver(mail_to("a@city.example.lg.jp"))  # type: ignore[arg-type]
        assert smtp.received == []
    assert not failed.value.permanent
    assert "HOKOKU_SMTP_PASSWORD" in str(failed.value) and "wrong-pw" not in str(failed.value)


def test_an_untrusted_certificate_is_an_error_not_a_fall_back_to_plain_text(
    certificates: TestCertificates,
) -> None:
    with running_smtp(starttls=certificates) as smtp:
        transport = SmtpTransport(server(smtp.url))  # the system's CAs: the test CA is not one
        with pytest.raises(DeliveryError) as failed:
            transport.deliver(mail_to("a@city.example.lg.jp"))  # type: ignore[arg-type]
        assert smtp.received == []
    assert not failed.value.permanent and "TLS" in str(failed.value)


def test_no_password_in_clear_to_a_server_on_another_host() -> None:
    """127.0.0.2 is a loopback address, but not "this machine" by name: hokoku treats it as
    any remote server that offers no STARTTLS."""
    handler = RecordingHandler()
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.2", port=port)
    controller.start()
    try:
        transport = SmtpTransport(
            server(f"smtp://127.0.0.2:{port}", user="hokoku", password=SecretStr("pw"))
        )
        with pytest.raises(DeliveryError) as failed:
            transport.deliver(mail_to("a@city.example.lg.jp"))  # type: ignore[arg-type]
    finally:
        controller.stop()
    assert "STARTTLS" in str(failed.value) and not failed.value.permanent
    assert handler.received == []


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [
        ("550 5.1.1 <x@city.example.lg.jp>: User unknown", True),
        ("451 4.3.0 Try again later", False),
    ],
)
def test_a_refused_recipient_is_permanent_only_for_5xx(answer: str, permanent: bool) -> None:
    handler = RecordingHandler(refuse={"x@city.example.lg.jp": answer})
    with running_smtp(handler=handler) as smtp:
        with pytest.raises(DeliveryError) as failed:
            SmtpTransport(server(smtp.url)).deliver(mail_to("x@city.example.lg.jp"))  # type: ignore[arg-type]
        assert smtp.received == []
    assert failed.value.permanent is permanent
    assert answer.split()[0] in str(failed.value)


def test_no_server_listening_is_temporary() -> None:
    transport = SmtpTransport(server(f"smtp://127.0.0.1:{free_port()}"))
    with pytest.raises(DeliveryError) as failed:
        transport.deliver(mail_to("a@city.example.lg.jp"))  # type: ignore[arg-type]
    assert not failed.value.permanent and "ConnectionRefusedError" in str(failed.value)
