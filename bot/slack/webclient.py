"""The Slack Web API client hokoku uses everywhere: slack_sdk's, with its retry handlers.

Kept apart from the bolt app (bot.slack.app) so that the reply process
(bot.slack.reply_worker) builds the same client without loading bolt and hokoku's
handlers.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def web_client(*, token: str, base_url: str) -> WebClient:
    """A WebClient against `base_url` that honours 429 Retry-After and retries blips."""
    return WebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
