"""Events API: DM text (message.im), @hokoku mentions, and the App Home tab.

The app runs with `process_before_response`: the listener stores the answer and commits
before bolt answers Slack's HTTP request, and the reply is posted by a lazy listener after
that (bot.slack.posting). A database failure raises, bolt answers 503 and Slack retries
the event; the retry is recognised by its event_id.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import intake
from bot.slack import home, payloads
from bot.slack.actors import actor
from bot.slack.handoff import hand_over, runtime_of
from bot.slack.posting import Posting, post_handed
from handlers.interaction.intents import Text

_MENTION = re.compile(r"<@[A-Z0-9]+>")


def _event_key(body: dict[str, Any], event: dict[str, Any]) -> str:
    event_id = payloads.optional_text(body, "event_id")
    if event_id:
        return event_id
    return f"{payloads.text(event, 'channel')}:{payloads.text(event, 'ts')}"


def store_dm(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """Plain text in the bot's DM; edits, joins and bot posts are not answers."""
    if (
        payloads.optional_text(event, "channel_type") != "im"
        or payloads.optional_text(event, "subtype")
        or payloads.optional_text(event, "bot_id")
    ):
        return
    runtime = runtime_of(context)
    user_id = payloads.text(event, "user")
    channel = payloads.text(event, "channel")
    text = Text(payloads.optional_text(event, "text"))
    reply = intake.run(
        runtime, actor(runtime, user_id=user_id), text, delivery=_event_key(body, event)
    )
    hand_over(context, Posting(reply, user_id, channel))


def store_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """`@hokoku 12 B …` in a linked channel: the channel's department answers."""
    runtime = runtime_of(context)
    user_id = payloads.text(event, "user")
    channel = payloads.text(event, "channel")
    who = actor(runtime, user_id=user_id, channel=channel, chat_kind="channel")
    text = Text(_MENTION.sub("", payloads.optional_text(event, "text")).strip())
    reply = intake.run(runtime, who, text, delivery=_event_key(body, event))
    thread = payloads.optional_text(event, "thread_ts") or payloads.optional_text(event, "ts")
    hand_over(context, Posting(reply, user_id, channel, thread or None))


def home_opened(event: dict[str, Any]) -> None:
    """Nothing to store; the view is built and published after the ack."""
    payloads.text(event, "user")


def publish_home(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if payloads.optional_text(event, "tab", default="home") != "home":
        return
    user = payloads.text(event, "user")
    client.views_publish(user_id=user, view=home.home_view(runtime_of(context), user))


def register(app: App) -> None:
    app.event("message")(ack=store_dm, lazy=[post_handed])
    app.event("app_mention")(ack=store_mention, lazy=[post_handed])
    app.event("app_home_opened")(ack=home_opened, lazy=[publish_home])
