"""Build the bolt App from Settings + Runtime, with a retrying Web API client."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.listeners import register_all

logger = logging.getLogger("hokoku.slack")


class SlackNotConfigured(Exception):
    """SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET is missing."""


def make_client(settings: Settings) -> WebClient:
    """A WebClient against SLACK_API_URL that honours 429 Retry-After and retries blips."""
    if settings.slack_bot_token is None:
        raise SlackNotConfigured("SLACK_BOT_TOKEN が設定されていません。")
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    return client


def build_slack_app(
    settings: Settings, runtime: Runtime, *, listener_executor: Executor | None = None
) -> App:
    """The bolt App with every listener registered (signature checks are bolt's own)."""
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        missing = [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", settings.slack_bot_token),
                ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
            )
            if value is None
        ]
        raise SlackNotConfigured(f"{' と '.join(missing)} が設定されていません。")
    kwargs = {} if listener_executor is None else {"listener_executor": listener_executor}
    app = App(
        name="hokoku",
        logger=logger,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=make_client(settings),
        **kwargs,  # type: ignore[arg-type]
    )
    register_all(app, runtime)
    return app
