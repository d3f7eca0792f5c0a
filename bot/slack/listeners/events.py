"""Events API: DM text (message.im), @hokoku mentions, and the App Home tab.

The app runs with `process_before_response`: the listener stores the answer and commits
before bolt answers Slack's HTTP request, and the reply is posted by a lazy listener after
that (the turn travels in the copied context). A database failure raises, bolt answers
503 and Slack retries the event; the retry is recognised by its event_id.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack import blocks, home, payloads
from bot.slack.chatting import ChatTurn, handle_message

_MENTION = re.compile(r"<@[A-Z0-9]+>")
TURN = "hokoku_turn"  # context key: the committed turn, handed to the lazy reply


def _event_key(body: dict[str, Any], event: dict[str, Any]) -> str:
    event_id = payloads.optional_text(body, "event_id")
    if event_id:
        return event_id
    return f"{payloads.text(event, 'channel')}:{payloads.text(event, 'ts')}"


def _post_reply(client: WebClient, turn: ChatTurn, *, channel: str, thread_ts: str | None) -> None:
    reply = turn.reply
    if reply.choose_department:
        text = reply.text
        payload = blocks.chat_department_choice(reply.choose_department, prompt=reply.text)
    else:
        text, payload = blocks.long_text(reply.text)
    client.chat_postMessage(channel=channel, text=text, blocks=payload, thread_ts=thread_ts)


def register(app: App, runtime: Runtime) -> None:
    def store_dm(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        """Plain text in the bot's DM; edits, joins and bot posts are not answers."""
        if (
            payloads.optional_text(event, "channel_type") != "im"
            or payloads.optional_text(event, "subtype")
            or payloads.optional_text(event, "bot_id")
        ):
            return
        context[TURN] = handle_message(
            runtime,
            user_id=payloads.text(event, "user"),
            channel=payloads.text(event, "channel"),
            chat_kind="user",
            text=payloads.optional_text(event, "text"),
            event_key=_event_key(body, event),
        )

    def reply_dm(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        turn: ChatTurn | None = context.get(TURN)
        if turn is None:
            return
        _post_reply(client, turn, channel=turn.channel, thread_ts=None)
        if home.answers_changed(turn.reply.stored):
            home.refresh_home(runtime, client, turn.user_id)

    def store_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        """`@hokoku 12 B …` in a linked channel: the channel's department answers."""
        context[TURN] = handle_message(
            runtime,
            user_id=payloads.text(event, "user"),
            channel=payloads.text(event, "channel"),
            chat_kind="channel",
            text=_MENTION.sub("", payloads.optional_text(event, "text")).strip(),
            event_key=_event_key(body, event),
        )

    def reply_mention(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        turn: ChatTurn | None = context.get(TURN)
        if turn is None:
            return
        thread = payloads.optional_text(event, "thread_ts") or payloads.optional_text(event, "ts")
        _post_reply(client, turn, channel=turn.channel, thread_ts=thread or None)
        if home.answers_changed(turn.reply.stored):
            home.refresh_home(runtime, client, turn.user_id)

    def home_opened(event: dict[str, Any]) -> None:
        """Nothing to store; the view is built and published after the ack."""
        payloads.text(event, "user")

    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if payloads.optional_text(event, "tab", default="home") != "home":
            return
        user = payloads.text(event, "user")
        client.views_publish(user_id=user, view=home.home_view(runtime, user))

    app.event("message")(ack=store_dm, lazy=[reply_dm])
    app.event("app_mention")(ack=store_mention, lazy=[reply_mention])
    app.event("app_home_opened")(ack=home_opened, lazy=[publish_home])
