"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), recording what it accepts.

It is the mail server hokoku talks to, at its URL, over a real socket: STARTTLS with a
certificate of a CA made in the test (`TestCertificates`), implicit TLS (smtps), AUTH
PLAIN/LOGIN checked against a user and password, and answers chosen per recipient
(`refuse`: `550 5.1.1 …` is a refused address, `451 …` a temporary one). No test talks to
any other host.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope, the parsed message, how it came."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return cast(EmailMessage, message_from_bytes(self.raw, policy=policy.default))

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, f"no text/{subtype} part"
        return cast(str, body.get_content())


@dataclass
class RecordingHandler:
    """aiosmtpd handler: refuses chosen recipients, records every accepted message."""

    refuse: dict[str, str] = field(default_factory=dict)  # address → SMTP answer
    received: list[Received] = field(default_factory=list)
    rcpt_answers: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        answer = self.refuse.get(address.lower(), "250 OK")
        with self._lock:
            self.rcpt_answers.append((address, answer))
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        auth = session.auth_data  # what the authenticator accepted (None: no AUTH)
        login = auth.login if isinstance(auth, LoginPassword) else None
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=bytes(envelope.original_content or envelope.content),
            # STARTTLS sets session.ssl; smtps is TLS at the transport from the start.
            tls=session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            login=login.decode() if isinstance(login, bytes) else login,
        )
        with self._lock:
            self.received.append(received)
        return "250 2.0.0 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if address in r.rcpt_tos]


@dataclass(frozen=True)
class TestCertificates:
    """A CA and a server certificate for 127.0.0.1 and localhost, as PEM files."""

    __test__ = False  # not a test class (pytest collects names that start with Test)

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(folder: Path) -> TestCertificates:
    """A CA made for this test run and a server certificate it signed (like `trustme`)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hokoku test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    certificates = TestCertificates(
        ca_file=folder / "ca.pem", cert_file=folder / "server.pem", key_file=folder / "server.key"
    )
    certificates.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certificates.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certificates.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificates


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class FakeSmtp:
    """A running server: its URL for HOKOKU_SMTP_URL, and what it received."""

    url: str
    handler: RecordingHandler

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def to(self, address: str) -> list[Received]:
        return self.handler.to(address)


@contextmanager
def running_smtp(
    *,
    starttls: TestCertificates | None = None,
    implicit_tls: TestCertificates | None = None,
    user: str | None = None,
    password: str | None = None,
    handler: RecordingHandler | None = None,
) -> Iterator[FakeSmtp]:
    """An SMTP server on 127.0.0.1 for the block: plain, STARTTLS offered, or smtps; with
    AUTH when `user` is given (accepted only over TLS, as aiosmtpd does by default)."""
    handler = handler or RecordingHandler()
    options: dict[str, Any] = {}
    if starttls is not None:
        options["tls_context"] = starttls.server_context()
    if implicit_tls is not None:
        options["ssl_context"] = implicit_tls.server_context()
    if user is not None:

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        options["authenticator"] = authenticate
        options["auth_required"] = True
        # aiosmtpd offers AUTH only after STARTTLS unless told; smtps is TLS from the start.
        options["auth_require_tls"] = implicit_tls is None
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, **options)
    controller.start()
    try:
        scheme = "smtps" if implicit_tls is not None else "smtp"
        yield FakeSmtp(url=f"{scheme}://{HOST}:{port}", handler=handler)
    finally:
        controller.stop()
