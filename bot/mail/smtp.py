"""Handing one e-mail to the mail server (smtplib), and what its answers mean to the outbox.

One connection per message: an office sends tens to a few hundred e-mails a day, paced
(HOKOKU_MAIL_RATE), so a pool of open connections would save nothing worth its failure
modes (a server that drops idle connections, a half-sent pipeline).

- `smtp://host[:port]` (25): STARTTLS whenever the server offers it. The certificate is
  checked (HOKOKU_SMTP_CA_FILE for a 庁内 CA); a failed handshake is an error, never a
  quiet fall-back to plain text.
- `smtps://host[:port]` (465): TLS from the first byte.
- AUTH (HOKOKU_SMTP_USER / HOKOKU_SMTP_PASSWORD) only over TLS, or to this machine (a
  local relay): a password never crosses the network in clear.

Outcomes, as handlers.ports.DeliveryError: the server refusing the recipient (5xx to RCPT
TO, or to the message for that one recipient) is permanent: the outbox marks the row
failed and tells the office, as it does for a blocked chat. Everything else (4xx, the
server unreachable or busy, a timeout, TLS or AUTH trouble) is temporary and retried with
the outbox's backoff.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.settings import LOCAL_HOSTS, Settings
from handlers.ports import DeliveryError

SMTP_PORT = 25
SMTPS_PORT = 465


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over (from HOKOKU_SMTP_*)."""

    host: str
    port: int
    implicit_tls: bool = False
    user: str | None = None
    password: SecretStr | None = None
    timeout: float = 30.0
    ca_file: str | None = None

    @classmethod
    def from_url(cls, url: str, **options: object) -> SmtpServer:
        parsed = urlsplit(url)
        implicit = parsed.scheme == "smtps"
        assert parsed.hostname, "validated by Settings"
        port = parsed.port or (SMTPS_PORT if implicit else SMTP_PORT)
        return cls(host=parsed.hostname, port=port, implicit_tls=implicit, **options)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer:
        assert settings.smtp_url is not None
        return cls.from_url(
            settings.smtp_url,
            user=settings.smtp_user,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
        )

    @property
    def local(self) -> bool:
        return self.host in LOCAL_HOSTS

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name checked; against HOKOKU_SMTP_CA_FILE when set."""
        return ssl.create_default_context(cafile=self.ca_file)


def _text(response: bytes | str) -> str:
    return response.decode("utf-8", "replace") if isinstance(response, bytes) else str(response)


def _answer(code: int, response: bytes | str) -> str:
    return f"{code} {_text(response)}".strip()


def delivery_error(exc: smtplib.SMTPException | OSError) -> DeliveryError:
    """What an smtplib failure means to the outbox (module docstring)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, response = next(iter(exc.recipients.values()), (450, b""))
        return DeliveryError(
            f"SMTP: recipient refused: {_answer(code, response)}", permanent=500 <= code < 600
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return DeliveryError(
            f"SMTP: message refused: {_answer(exc.smtp_code, exc.smtp_error)}",
            permanent=500 <= exc.smtp_code < 600,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):  # HOKOKU_MAIL_FROM: the office's to fix
        return DeliveryError(
            f"SMTP: sender {exc.sender} refused: {_answer(exc.smtp_code, exc.smtp_error)}"
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            "SMTP: authentication failed (HOKOKU_SMTP_USER / HOKOKU_SMTP_PASSWORD): "
            f"{_answer(exc.smtp_code, exc.smtp_error)}"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError(f"SMTP: {_answer(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return DeliveryError(f"SMTP: TLS failed (HOKOKU_SMTP_CA_FILE?): {exc}")
    return DeliveryError(f"SMTP: {type(exc).__name__}: {exc}")


class SmtpTransport:
    """Sends one EmailMessage per connection; raises DeliveryError (never smtplib's own)."""

    def __init__(self, server: SmtpServer, *, local_hostname: str | None = None) -> None:
        self.server = server
        self.local_hostname = local_hostname
        self._context = server.tls_context()

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.implicit_tls:
            return smtplib.SMTP_SSL(
                server.host,
                server.port,
                local_hostname=self.local_hostname,
                timeout=server.timeout,
                context=self._context,
            )
        return smtplib.SMTP(
            server.host, server.port, local_hostname=self.local_hostname, timeout=server.timeout
        )

    def _secure(self, smtp: smtplib.SMTP) -> bool:
        """STARTTLS when offered; True when the connection is encrypted."""
        if self.server.implicit_tls:
            return True
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            return False
        smtp.starttls(context=self._context)
        smtp.ehlo()
        return True

    def _login(self, smtp: smtplib.SMTP, *, encrypted: bool) -> None:
        server = self.server
        if server.user is None:
            return
        if not (encrypted or server.local):
            raise DeliveryError(
                "SMTP: the server offers no STARTTLS; hokoku does not send the password in "
                "clear (use smtps://, or a server that offers STARTTLS)"
            )
        password = server.password.get_secret_value() if server.password is not None else ""
        smtp.login(server.user, password)

    def deliver(self, mail: EmailMessage) -> None:
        """Hand `mail` over for its one To: recipient."""
        sender = getaddresses([str(mail["From"])])[0][1]
        recipients = [address for _, address in getaddresses([str(mail["To"])])]
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            raise delivery_error(exc) from exc
        try:
            self._login(smtp, encrypted=self._secure(smtp))
            refused = smtp.send_message(mail, from_addr=sender, to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise delivery_error(exc) from exc
        finally:
            _quit(smtp)
        if refused:  # only when some of several recipients were refused: not ours (one)
            raise delivery_error(smtplib.SMTPRecipientsRefused(refused))


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye, whatever the server answers: once it has accepted the message (250 to
    the data), a failing QUIT must not turn the delivery into an error and a resend."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
