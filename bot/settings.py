"""Settings from the environment (and an optional .env), read once at start-up.

Secrets are SecretStr so they never appear in logs or reprs.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.db import SERVING_SQLITE_BUSY_SECONDS, PoolSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///hokoku.db", validation_alias=AliasChoices("HOKOKU_DATABASE_URL")
    )
    organization: str = Field(
        default="default", validation_alias=AliasChoices("HOKOKU_ORGANIZATION")
    )
    timezone: str = Field(default="Asia/Tokyo", validation_alias=AliasChoices("HOKOKU_TIMEZONE"))

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

    line_channel_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LINE_CHANNEL_SECRET")
    )
    line_channel_access_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LINE_CHANNEL_ACCESS_TOKEN")
    )
    line_api_url: str = Field(
        default="https://api.line.me", validation_alias=AliasChoices("LINE_API_URL")
    )

    # Scheduler: local send time, the year-end closure (empty = none), tick interval.
    send_time: str = Field(default="09:30", validation_alias=AliasChoices("HOKOKU_SEND_TIME"))
    year_end: str = Field(default="12/29-1/3", validation_alias=AliasChoices("HOKOKU_YEAR_END"))
    scheduler_interval: int = Field(
        default=60, validation_alias=AliasChoices("HOKOKU_SCHEDULER_INTERVAL")
    )

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
        )
