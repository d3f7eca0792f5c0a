"""Events API: DM text (message.im), @hokoku mentions, and the App Home tab.

The app runs with `process_before_response`: the listener stores the answer and commits
before bolt answers Slack's HTTP request, and the reply is posted by a lazy listener after
that (the reply travels in the copied context). A database failure raises, bolt answers
503 and Slack retries the event; the retry is recognised by its event_id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import intake
from bot.runtime import Runtime
from bot.slack import blocks, charting, home, payloads
from bot.slack.actors import actor
from bot.slack.handoff import hand_over, handed
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.intents import Text

_MENTION = re.compile(r"<@[A-Z0-9]+>")
POSTING = "hokoku_posting"  # context key: the committed reply, handed to the lazy listener


@dataclass(frozen=True)
class Posting:
    """A committed reply: what to post, where, and whose Home tab may have changed."""

    reply: Reply
    channel: str
    user_id: str
    thread_ts: str | None = None


def _event_key(body: dict[str, Any], event: dict[str, Any]) -> str:
    event_id = payloads.optional_text(body, "event_id")
    if event_id:
        return event_id
    return f"{payloads.text(event, 'channel')}:{payloads.text(event, 'ts')}"


def post(runtime: Runtime, client: WebClient, posting: Posting | None) -> None:
    """Post a committed reply (nothing for a redelivery or ignored chatter), then refresh
    the Home tab when answers changed."""
    if posting is None or not posting.reply.parts:
        return
    text, payload = blocks.message(translator(posting.reply.language), posting.reply)
    client.chat_postMessage(
        channel=posting.channel, text=text, blocks=payload, thread_ts=posting.thread_ts
    )
    error = charting.upload_chart(
        runtime, client, posting.reply, channel=posting.channel, thread_ts=posting.thread_ts
    )
    if error is not None:
        failed = translator(posting.reply.language)("chart.upload_failed", error=error)
        client.chat_postMessage(channel=posting.channel, text=failed, thread_ts=posting.thread_ts)
    if home.answers_changed(posting.reply.stored):
        home.refresh_home(runtime, client, posting.user_id)


def register(app: App, runtime: Runtime) -> None:
    def store_dm(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        """Plain text in the bot's DM; edits, joins and bot posts are not answers."""
        if (
            payloads.optional_text(event, "channel_type") != "im"
            or payloads.optional_text(event, "subtype")
            or payloads.optional_text(event, "bot_id")
        ):
            return
        user_id = payloads.text(event, "user")
        channel = payloads.text(event, "channel")
        who = actor(runtime, user_id=user_id)
        text = Text(payloads.optional_text(event, "text"))
        reply = intake.run(runtime, who, text, delivery=_event_key(body, event))
        hand_over(context, POSTING, Posting(reply, channel, user_id) if reply else None)

    def reply_dm(context: BoltContext, client: WebClient) -> None:
        post(runtime, client, handed(context, POSTING))

    def store_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        """`@hokoku 12 B …` in a linked channel: the channel's department answers."""
        user_id = payloads.text(event, "user")
        channel = payloads.text(event, "channel")
        who = actor(runtime, user_id=user_id, channel=channel, chat_kind="channel")
        text = Text(_MENTION.sub("", payloads.optional_text(event, "text")).strip())
        reply = intake.run(runtime, who, text, delivery=_event_key(body, event))
        thread = payloads.optional_text(event, "thread_ts") or payloads.optional_text(event, "ts")
        hand_over(
            context, POSTING, Posting(reply, channel, user_id, thread or None) if reply else None
        )

    def home_opened(event: dict[str, Any]) -> None:
        """Nothing to store; the view is built and published after the ack."""
        payloads.text(event, "user")

    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if payloads.optional_text(event, "tab", default="home") != "home":
            return
        user = payloads.text(event, "user")
        client.views_publish(user_id=user, view=home.home_view(runtime, user))

    app.event("message")(ack=store_dm, lazy=[reply_dm])
    app.event("app_mention")(ack=store_mention, lazy=[reply_dm])
    app.event("app_home_opened")(ack=home_opened, lazy=[publish_home])
