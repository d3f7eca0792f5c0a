"""Settings from the environment (and an optional .env), read once at start-up.

Secrets are SecretStr so they never appear in logs or reprs.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
