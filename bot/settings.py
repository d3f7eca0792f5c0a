"""Settings from the environment (and an optional .env), read once at start-up.

Secrets are SecretStr so they never appear in logs or reprs. An empty value counts as
unset everywhere (`SLACK_BOT_TOKEN=` in a copied `.env.example` does not switch Slack on).
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.errors import InvalidInput
from handlers.i18n import DEFAULT_LANGUAGE, LANGUAGES, msg, normalize_language
from models.db import (
    SERVING_SQLITE_BUSY_SECONDS,
    SERVING_WAL_PAGES,
    SQLITE_WAL_PAGES,
    PoolSettings,
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    database_url: str = Field(
        default="sqlite:///hokoku.db", validation_alias=AliasChoices("HOKOKU_DATABASE_URL")
    )
    organization: str = Field(
        default="default", validation_alias=AliasChoices("HOKOKU_ORGANIZATION")
    )
    timezone: str = Field(default="Asia/Tokyo", validation_alias=AliasChoices("HOKOKU_TIMEZONE"))
    # The language of the bot's texts and the CLI's help (`ja` or `en`); a chat identity
    # may choose its own with the `language` command.
    language: str = Field(
        default=DEFAULT_LANGUAGE, validation_alias=AliasChoices("HOKOKU_LANGUAGE")
    )

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN")
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL")
    )
    # Plain replies posted by a process of their own beside the server (bot.slack.reply_process);
    # `false`: the server's own threads post them.
    slack_reply_process: bool = Field(
        default=True, validation_alias=AliasChoices("HOKOKU_SLACK_REPLY_PROCESS")
    )

    line_channel_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LINE_CHANNEL_SECRET")
    )
    line_channel_access_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LINE_CHANNEL_ACCESS_TOKEN")
    )
    line_api_url: str = Field(
        default="https://api.line.me", validation_alias=AliasChoices("LINE_API_URL")
    )

    # Who the departments ask about the report and send their forms back to, printed on
    # top of every 照会様式 (`hokoku round forms`): "男女共同参画室 内線1234 danjo@…".
    office_contact: str = Field(
        default="", max_length=300, validation_alias=AliasChoices("HOKOKU_OFFICE_CONTACT")
    )

    # Scheduler: local send time, the year-end closure (`none` = none), the office's own
    # closed days (MM-DD yearly, YYYY-MM-DD once), tick interval.
    send_time: str = Field(default="09:30", validation_alias=AliasChoices("HOKOKU_SEND_TIME"))
    year_end: str = Field(default="12/29-1/3", validation_alias=AliasChoices("HOKOKU_YEAR_END"))
    closed_days: str = Field(default="", validation_alias=AliasChoices("HOKOKU_CLOSED_DAYS"))
    scheduler_interval: int = Field(
        default=60, validation_alias=AliasChoices("HOKOKU_SCHEDULER_INTERVAL")
    )

    # Logging (stderr): level, and `text` lines or `json` lines for a log collector.
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("HOKOKU_LOG_LEVEL"))
    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias=AliasChoices("HOKOKU_LOG_FORMAT")
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        language = normalize_language(value)
        if language is None:
            raise ValueError(f"one of {', '.join(LANGUAGES)}")
        return language

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    # Database pool and locks. The server answers 503 (the platform retries) when no
    # connection is free within HOKOKU_DB_POOL_TIMEOUT seconds; the CLI waits longer.
    db_pool_size: int = Field(
        default=10, ge=1, validation_alias=AliasChoices("HOKOKU_DB_POOL_SIZE")
    )
    db_pool_overflow: int = Field(
        default=5, ge=0, validation_alias=AliasChoices("HOKOKU_DB_POOL_OVERFLOW")
    )
    db_pool_timeout: float = Field(
        default=1.0, gt=0, validation_alias=AliasChoices("HOKOKU_DB_POOL_TIMEOUT")
    )
    sqlite_busy_timeout: float = Field(
        default=5.0, gt=0, validation_alias=AliasChoices("HOKOKU_SQLITE_BUSY_TIMEOUT")
    )
    # Largest request body the webhooks accept (Slack's biggest, a modal page of long
    # comments, stays far below this); bigger bodies get 413.
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, validation_alias=AliasChoices("HOKOKU_MAX_BODY_BYTES")
    )
    # Housekeeping: dedupe keys, finished outbox rows and invite failures older than this
    # are pruned by the scheduler (the audit log is kept).
    retention_days: int = Field(
        default=90, ge=1, validation_alias=AliasChoices("HOKOKU_RETENTION_DAYS")
    )

    # Where `hokoku serve` is reached from the internet (https://hokoku.example.jp): the base
    # of the chart image URLs LINE fetches (LINE takes only HTTPS; http for localhost only).
    public_url: str | None = Field(default=None, validation_alias=AliasChoices("HOKOKU_PUBLIC_URL"))
    # How long a published chart image stays reachable (LINE loads an image when the message
    # is shown, so this must cover the time until people open it).
    chart_minutes: int = Field(
        default=1440, ge=1, le=60 * 24 * 30, validation_alias=AliasChoices("HOKOKU_CHART_MINUTES")
    )

    # The web console (`/web/`, bot/web): the key its session cookies and CSRF tokens are
    # signed with (any long random string; unset: a new key at every start, which signs
    # everyone out when the server restarts), and the largest plan table it takes.
    secret_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("HOKOKU_SECRET_KEY")
    )
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        validation_alias=AliasChoices("HOKOKU_MAX_UPLOAD_BYTES"),
    )

    @field_validator("public_url")
    @classmethod
    def _public_base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlsplit(value.strip())
        local = parsed.hostname in LOCAL_HOSTS
        if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
            raise ValueError("https://host (http only for localhost)")
        if not parsed.hostname or parsed.query or parsed.fragment:
            raise ValueError("https://host[/path], without ?query or #fragment")
        return value.strip().rstrip("/")

    def pool(self, *, serving: bool) -> PoolSettings:
        """Pool settings for the server (short wait, then 503) or the CLI (waits its turn)."""
        return PoolSettings(
            size=self.db_pool_size,
            overflow=self.db_pool_overflow,
            timeout=self.db_pool_timeout if serving else 30.0,
            sqlite_busy_seconds=(
                min(self.sqlite_busy_timeout, SERVING_SQLITE_BUSY_SECONDS)
                if serving
                else self.sqlite_busy_timeout
            ),
            # The server checkpoints SQLite's WAL from a thread of its own (bot.sqlite_upkeep).
            sqlite_wal_pages=SERVING_WAL_PAGES if serving else SQLITE_WAL_PAGES,
        )

    # E-mail (bot/mail): the mail server, `smtp://host[:port]` (STARTTLS whenever the server
    # offers it; port 25 by default) or `smtps://host[:port]` (TLS from the start; 465), the
    # user and password for AUTH (only ever over TLS, or to this machine), the sender, an
    # optional Reply-To (where departments' replies go), a CA bundle for a server whose
    # certificate a public CA did not sign (a 庁内 mail server), and the sending pace.
    smtp_url: str | None = Field(default=None, validation_alias=AliasChoices("HOKOKU_SMTP_URL"))
    smtp_user: str | None = Field(default=None, validation_alias=AliasChoices("HOKOKU_SMTP_USER"))
    smtp_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("HOKOKU_SMTP_PASSWORD")
    )
    smtp_ca_file: str | None = Field(
        default=None, validation_alias=AliasChoices("HOKOKU_SMTP_CA_FILE")
    )
    smtp_timeout: float = Field(
        default=30.0, gt=0, le=600, validation_alias=AliasChoices("HOKOKU_SMTP_TIMEOUT")
    )
    mail_from: str | None = Field(default=None, validation_alias=AliasChoices("HOKOKU_MAIL_FROM"))
    mail_reply_to: str | None = Field(
        default=None, validation_alias=AliasChoices("HOKOKU_MAIL_REPLY_TO")
    )
    mail_rate: float = Field(default=5.0, ge=0, validation_alias=AliasChoices("HOKOKU_MAIL_RATE"))

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlsplit(value.strip())
        try:
            port = parsed.port
        except ValueError:
            port = -1
        if (
            parsed.scheme not in ("smtp", "smtps")
            or not parsed.hostname
            or port == -1
            or parsed.path not in ("", "/")
            or parsed.query
            or parsed.fragment
        ):
            raise ValueError("smtp://host[:port] or smtps://host[:port]")
        if parsed.username or parsed.password:
            raise ValueError("no user or password in the URL: HOKOKU_SMTP_USER/PASSWORD")
        return value.strip()

    @field_validator("mail_from", "mail_reply_to")
    @classmethod
    def _mail_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from email.headerregistry import Address
        from email.utils import parseaddr

        name, address = parseaddr(value.strip())
        local, at, domain = address.partition("@")
        if not (local and at and "." in domain):
            raise ValueError("an address, e.g. danjo@city.example.lg.jp or Office <danjo@…>")
        try:
            Address(display_name=name, username=local, domain=domain)
        except (ValueError, IndexError) as exc:
            raise ValueError(f"an address ({exc})") from None
        return value.strip()

    # Outbound pacing and concurrency (scheduler.ratelimit cites the platforms' limits).
    send_workers: int = Field(
        default=100, ge=1, le=512, validation_alias=AliasChoices("HOKOKU_SEND_WORKERS")
    )
    slack_channel_interval: float = Field(
        default=1.1, ge=0, validation_alias=AliasChoices("HOKOKU_SLACK_CHANNEL_INTERVAL")
    )
    slack_workspace_rate: float = Field(
        default=4.0, ge=0, validation_alias=AliasChoices("HOKOKU_SLACK_WORKSPACE_RATE")
    )
    slack_workspace_burst: int = Field(
        default=10, ge=1, validation_alias=AliasChoices("HOKOKU_SLACK_WORKSPACE_BURST")
    )
    line_rate: float = Field(
        default=2000.0, ge=0, validation_alias=AliasChoices("HOKOKU_LINE_RATE")
    )


def _shown(value: object) -> object:
    """A refused value as the error message may show it: a password in a URL masked."""
    return _URL_PASSWORD.sub(r"\1***@", value) if isinstance(value, str) else value


_URL_PASSWORD = re.compile(r"(//[^/@:]*:)[^/@]*@")


def load_settings() -> Settings:
    """Settings of this process; a malformed value becomes one clear message naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = tuple(
            msg(
                "settings.problem",
                name=".".join(str(part) for part in error["loc"]),
                value=str(_shown(error.get("input"))),
                reason=error["msg"],
            )
            for error in exc.errors()
        )
        raise InvalidInput(msg("settings.invalid", problems=problems)) from None
