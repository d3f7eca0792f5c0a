"""The Slack side of the outbound port (handlers.ports.Messenger).

`hokoku round notify` and the scheduler's outbox call `send`; 429s are first retried by
slack_sdk's RateLimitErrorRetryHandler on the client (see bot.slack.app.make_client), and
what still fails becomes a DeliveryError the outbox understands.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks
from handlers.i18n import DEFAULT_LANGUAGE, translator
from handlers.ports import DeliveryError, OutboundMessage, Target

# The target is gone or the bot can never reach it: retrying will not help.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "account_inactive",
        "not_in_channel",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "restricted_action",
    }
)


def delivery_error(exc: SlackApiError) -> DeliveryError:
    """Map a Slack Web API error onto the port's DeliveryError."""
    response = exc.response
    error = str(response.get("error", "")) if response is not None else ""
    status = getattr(response, "status_code", 200)
    if status == 429 or error == "ratelimited":
        headers: dict[str, Any] = dict(getattr(response, "headers", {}) or {})
        raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        try:
            retry_after = float(raw) if raw is not None else 1.0
        except ValueError:
            retry_after = 1.0
        return DeliveryError("Slack: ratelimited", retry_after=retry_after)
    return DeliveryError(f"Slack: {error or status}", permanent=error in PERMANENT_ERRORS)


# How many recent messages of a channel a resend searches for its own key.
RESEND_LOOKBACK = 100


class SlackMessenger:
    """Posts RoundRequest / OfficeDigest / TextMessage with chat.postMessage."""

    platform = "slack"

    def __init__(self, client: WebClient, *, language: str = DEFAULT_LANGUAGE) -> None:
        self.client = client
        self.language = language  # HOKOKU_LANGUAGE: for targets that chose none

    def channel_for(self, target: Target) -> str:
        """A channel id as is; a user id through conversations.open (the bot's DM with them)."""
        if target.kind != "user":
            return target.external_id
        opened = self.client.conversations_open(users=target.external_id)
        channel = opened.get("channel") or {}
        return str(channel.get("id") or target.external_id)

    def already_posted(self, channel: str, key: str) -> bool:
        """Is a message with this purpose key among the channel's recent messages?

        Slack has no idempotency key; every post carries its key in message metadata, so a
        resend after a crash looks for it first (only then: a fan-out pays nothing extra).
        """
        history = self.client.conversations_history(
            channel=channel, limit=RESEND_LOOKBACK, include_all_metadata=True
        )
        for posted in history.get("messages") or []:
            metadata = posted.get("metadata") or {}
            if (metadata.get("event_payload") or {}).get("key") == key:
                return True
        return False

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        text, payload = blocks.outbound(translator(target.language or self.language), message)
        try:
            channel = self.channel_for(target)
            if resend and self.already_posted(channel, key):
                return
            self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=payload,
                metadata={"event_type": "hokoku_notification", "event_payload": {"key": key}},
                unfurl_links=False,
            )
        except SlackApiError as exc:
            raise delivery_error(exc) from exc
        except OSError as exc:  # connection trouble left after the retry handlers gave up
            raise DeliveryError(f"Slack: {exc}") from exc
