"""Events API: DM messages (message.im), @hokoku mentions, and the App Home tab.

The app runs with `process_before_response`: the listener stores the answer and commits
before bolt answers Slack's HTTP request, and the reply is posted off the request's thread
while bolt answers (bot.slack.posting). A database failure raises, bolt answers 503 and Slack retries
the event; the retry is recognised by its event_id.

A DM is read whatever way it was sent (https://docs.slack.dev/reference/events/message/):
plain, with files (`file_share`: the text is read, the files' names kept in the comment),
as a thread reply also sent to the conversation (`thread_broadcast`), or as a thread reply
(the reply goes to the same thread). `message_changed` reads the edited message again and
`message_deleted` withdraws its answers (handlers.interaction.edits); in a channel (when
the app also gets the channel's messages) an edited @hokoku answer is read again and a
deleted one withdrawn. Slack's markup (escapes, links, mentions) is decoded here, once
(bot.slack.markup). Bot posts and other subtypes (joins, topic changes …) are not answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import intake
from bot.runtime import Runtime
from bot.slack import home, payloads
from bot.slack.actors import actor
from bot.slack.handoff import after_ack, runtime_of
from bot.slack.ids import PLATFORM
from bot.slack.markup import mentioned_users, plain_text
from bot.slack.people import names_of
from bot.slack.posting import Posting, post_after_ack
from handlers.interaction.intents import Edited, Intent, Text, Unsent

READ = frozenset({"", "file_share", "thread_broadcast"})  # subtypes read as typed text
EDITED = "message_changed"
DELETED = "message_deleted"
TOMBSTONE = "tombstone"  # a thread's parent deleted: Slack keeps "This message was deleted."
CHANNEL = "channel"


def _event_key(body: dict[str, Any], event: dict[str, Any]) -> str:
    event_id = payloads.optional_text(body, "event_id")
    if event_id:
        return event_id
    return f"{payloads.text(event, 'channel')}:{payloads.text(event, 'ts')}"


def message_key(channel: str, ts: str) -> str:
    """The key a message's answers are stored with: an edit or delete names the same."""
    return f"{PLATFORM}:{channel}:{ts}"


def _sent_at(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _files(message: Mapping[str, Any]) -> tuple[str, ...]:
    """The names of the files sent with a message (`files[].name`, else the title)."""
    files = message.get("files")
    if not isinstance(files, list):
        return ()
    names = []
    for file in files[:10]:
        if isinstance(file, Mapping):
            name = payloads.optional_text(file, "name") or payloads.optional_text(file, "title")
            if name:
                names.append(name)
    return tuple(names)


def _plain(context: BoltContext, text: str, *, bot: str | None = None) -> str:
    """The text as typed: the bot's own mention removed, markup decoded with known names."""
    if bot:
        text = re.sub(rf"<@{re.escape(bot)}(\|[^>]*)?>", " ", text)
    return plain_text(text, names_of(runtime_of(context), mentioned_users(text))).strip()


def store_dm(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """A message in the bot's DM: text (with files, in a thread), an edit, or a delete."""
    if payloads.optional_text(event, "bot_id"):
        return  # the bot's own posts (and other apps')
    subtype = payloads.optional_text(event, "subtype")
    if payloads.optional_text(event, "channel_type") != "im":
        if subtype == EDITED:
            _store_channel_edit(body, event, context)
        elif subtype == DELETED:
            _store_channel_delete(body, event, context)
        return
    runtime = runtime_of(context)
    channel = payloads.text(event, "channel")
    if subtype in READ:
        user_id = payloads.text(event, "user")
        ts = payloads.text(event, "ts")
        intent: Intent = Text(
            _plain(context, payloads.optional_text(event, "text")),
            message=message_key(channel, ts),
            attachments=_files(event),
        )
        thread = payloads.optional_text(event, "thread_ts") or None
    elif subtype == EDITED:
        edited = payloads.mapping(event, "message")
        if payloads.optional_text(edited, "bot_id") or _same(edited, event):
            return  # the bot's own post, or only a link preview added
        user_id = payloads.optional_text(edited, "user") or payloads.text(event, "channel")
        ts = payloads.text(edited, "ts")
        if payloads.optional_text(edited, "subtype") == TOMBSTONE:
            intent = Unsent(message_key(channel, ts))
            thread = None
        else:
            intent = Edited(
                _plain(context, payloads.optional_text(edited, "text")),
                message=message_key(channel, ts),
                sent_at=_sent_at(ts),
                attachments=_files(edited),
            )
            thread = payloads.optional_text(edited, "thread_ts") or ts
    elif subtype == DELETED:
        deleted = payloads.mapping(event, "previous_message")
        user_id = payloads.optional_text(deleted, "user") or channel
        ts = payloads.optional_text(event, "deleted_ts") or payloads.text(deleted, "ts")
        intent = Unsent(message_key(channel, ts))
        thread = payloads.optional_text(deleted, "thread_ts") or None
    else:
        return  # joins, bot messages, channel topic … are not answers
    reply = intake.run(
        runtime, actor(runtime, user_id=user_id), intent, delivery=_event_key(body, event)
    )
    post_after_ack(context, Posting(reply, user_id, channel, thread, _people(event)))


def _same(edited: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """A message_changed that changed neither the text nor the files (an unfurl)."""
    before = payloads.mapping(event, "previous_message")
    if not before:
        return False
    return (
        payloads.optional_text(before, "text") == payloads.optional_text(edited, "text")
        and _files(before) == _files(edited)
        and payloads.optional_text(edited, "subtype") != TOMBSTONE
    )


def _people(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Users mentioned in the text: their names are looked up after the ack."""
    inner = event.get("message")
    text = payloads.optional_text(inner if isinstance(inner, Mapping) else event, "text")
    return tuple(sorted(mentioned_users(text)))


def _store_channel_edit(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """An edited @hokoku message in a channel (Slack sends it when the app is subscribed to
    the channel's messages): read again as the channel's answer, like the mention was."""
    edited = payloads.mapping(event, "message")
    if payloads.optional_text(edited, "subtype") == TOMBSTONE:  # a thread's parent deleted
        ts = payloads.text(edited, "ts")
        _store_channel_delete(
            body, {**event, "deleted_ts": ts, "previous_message": edited}, context
        )
        return
    bot = context.bot_user_id
    text = payloads.optional_text(edited, "text")
    if payloads.optional_text(edited, "bot_id") or not bot or f"<@{bot}" not in text:
        return  # edits of the channel's own talk are not the bot's business
    runtime = runtime_of(context)
    channel = payloads.text(event, "channel")
    user_id = payloads.text(edited, "user")
    ts = payloads.text(edited, "ts")
    who = actor(runtime, user_id=user_id, channel=channel, chat_kind=CHANNEL)
    intent = Edited(
        _plain(context, text, bot=bot),
        message=message_key(channel, ts),
        sent_at=_sent_at(ts),
        attachments=_files(edited),
    )
    reply = intake.run(runtime, who, intent, delivery=_event_key(body, event))
    thread = payloads.optional_text(edited, "thread_ts") or ts
    post_after_ack(context, Posting(reply, user_id, channel, thread, _people(event)))


def _store_channel_delete(
    body: dict[str, Any], event: dict[str, Any], context: BoltContext
) -> None:
    """A deleted message in a channel (with the channel's messages subscribed): an @hokoku
    answer's answers are withdrawn and the channel told in the message's thread; any other
    message carried none, and nothing is said."""
    runtime = runtime_of(context)
    channel = payloads.text(event, "channel")
    deleted = payloads.mapping(event, "previous_message")
    user_id = payloads.optional_text(deleted, "user") or channel
    ts = payloads.optional_text(event, "deleted_ts") or payloads.text(deleted, "ts")
    who = actor(runtime, user_id=user_id, channel=channel, chat_kind=CHANNEL)
    reply = intake.run(
        runtime, who, Unsent(message_key(channel, ts)), delivery=_event_key(body, event)
    )
    thread = payloads.optional_text(deleted, "thread_ts") or None
    post_after_ack(context, Posting(reply, user_id, channel, thread))


def store_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """`@hokoku 12 B …` in a linked channel: the channel's department answers."""
    runtime = runtime_of(context)
    user_id = payloads.text(event, "user")
    channel = payloads.text(event, "channel")
    ts = payloads.optional_text(event, "ts")
    who = actor(runtime, user_id=user_id, channel=channel, chat_kind=CHANNEL)
    raw = payloads.optional_text(event, "text")
    bot = context.bot_user_id or _first_mention(raw)
    text = Text(
        _plain(context, raw, bot=bot),
        message=message_key(channel, ts) if ts else None,
        attachments=_files(event),
    )
    reply = intake.run(runtime, who, text, delivery=_event_key(body, event))
    thread = payloads.optional_text(event, "thread_ts") or ts
    post_after_ack(context, Posting(reply, user_id, channel, thread or None, _people(event)))


def _first_mention(text: str) -> str | None:
    """Without bolt's bot user id: the mention an app_mention starts with is the bot's."""
    match = re.match(r"\s*<@([A-Z0-9]+)(\|[^>]*)?>", text)
    return match.group(1) if match else None


def home_opened(event: dict[str, Any], context: BoltContext) -> None:
    """Nothing to store; the view is built and published after the ack."""
    user = payloads.text(event, "user")
    if payloads.optional_text(event, "tab", default="home") == "home":
        after_ack(context, partial(publish_home, runtime_of(context), context.client, user))


def publish_home(runtime: Runtime, client: WebClient, user: str) -> None:
    client.views_publish(user_id=user, view=home.home_view(runtime, user, opened=True))


def register_messages(app: App) -> None:
    """Messages: a DM answer is what the bot gets most (see `register_listeners`)."""
    app.event("message")(store_dm)


def register(app: App) -> None:
    app.event("app_mention")(store_mention)
    app.event("app_home_opened")(home_opened)
