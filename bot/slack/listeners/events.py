"""Events API: DM text (message.im), @hokoku mentions, and the App Home tab."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack import blocks, home
from bot.slack.chatting import ChatTurn, handle_message

_MENTION = re.compile(r"<@[A-Z0-9]+>")


def _post_reply(client: WebClient, turn: ChatTurn, *, channel: str, thread_ts: str | None) -> None:
    reply = turn.reply
    if reply.choose_department:
        payload = blocks.chat_department_choice(reply.choose_department, prompt=reply.text)
        client.chat_postMessage(
            channel=channel, text=reply.text, blocks=payload, thread_ts=thread_ts
        )
        return
    client.chat_postMessage(channel=channel, text=reply.text, thread_ts=thread_ts)


def register(app: App, runtime: Runtime) -> None:
    @app.event("message")
    def direct_message(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        """Plain text in the bot's DM; edits, joins and bot posts are not answers."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        turn = handle_message(
            runtime,
            user_id=event["user"],
            channel=event["channel"],
            chat_kind="user",
            text=event.get("text", ""),
            event_key=body.get("event_id") or f"{event['channel']}:{event['ts']}",
        )
        if turn is not None:
            _post_reply(client, turn, channel=event["channel"], thread_ts=None)
            if home.answers_changed(turn.reply.stored):
                home.refresh_home(runtime, client, event["user"])

    @app.event("app_mention")
    def mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        """`@hokoku 12 B …` in a linked channel: the channel's department answers."""
        turn = handle_message(
            runtime,
            user_id=event["user"],
            channel=event["channel"],
            chat_kind="channel",
            text=_MENTION.sub("", event.get("text", "")).strip(),
            event_key=body.get("event_id") or f"{event['channel']}:{event['ts']}",
        )
        if turn is not None:
            _post_reply(
                client,
                turn,
                channel=event["channel"],
                thread_ts=event.get("thread_ts") or event.get("ts"),
            )
            if home.answers_changed(turn.reply.stored):
                home.refresh_home(runtime, client, event["user"])

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home.home_view(runtime, event["user"]))
