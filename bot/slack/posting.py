"""A committed reply posted after the ack: the message, its chart, then the Home tab.

An ack listener stores and commits, then, last, gives a `Posting` to `post_after_ack`. A
plain reply is laid out there and handed to the reply process beside the server
(bot.slack.reply_process), which posts it; any other (a chart, a Home tab to refresh) is
posted off the request's thread while bolt answers Slack (bot.slack.handoff's
`after_ack`). A redelivered event or click has no reply (its delivery was already
claimed), so nothing is posted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack import blocks, charting, home
from bot.slack.handoff import after_ack, reply_process_of, runtime_of
from bot.slack.people import learn_names, names_to_learn
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.reply import ChartFile


@dataclass(frozen=True)
class Posting:
    """A committed reply (None: a redelivery), where to post it, and whose Home tab may
    have changed. No channel: the person's DM with the bot."""

    reply: Reply | None
    user_id: str
    channel: str | None = None
    thread_ts: str | None = None
    people: tuple[str, ...] = ()  # users mentioned in the message: names to look up


def dm_channel(runtime: Runtime, client: WebClient, user_id: str) -> str:
    """The bot's DM with this user (conversations.open is idempotent, and a DM's id never
    changes: asked once per user and process)."""
    known = runtime.memo_of("slack_dm_channel")
    if user_id in known:
        return str(known[user_id])
    opened = client.conversations_open(users=user_id)
    channel = opened.get("channel") or {}
    found = channel.get("id")
    if not found:
        return user_id
    known[user_id] = str(found)
    return str(found)


def post(runtime: Runtime, client: WebClient, posting: Posting | None) -> None:
    """Post a committed reply (nothing for a redelivery or ignored chatter), then refresh
    the Home tab when answers changed and the person has opened it; then learn the names
    of the people involved."""
    if posting is None:
        return
    if posting.reply is not None:
        _post(runtime, client, posting)
        learn_names(runtime, client, (posting.user_id, *posting.people))


def _post(runtime: Runtime, client: WebClient, posting: Posting) -> None:
    if posting.reply is None or not posting.reply.parts:
        return
    reply = posting.reply
    channel = posting.channel
    if channel is None:
        channel = dm_channel(runtime, client, posting.user_id)
    text, payload = blocks.message(translator(reply.language), reply)
    client.chat_postMessage(channel=channel, text=text, blocks=payload, thread_ts=posting.thread_ts)
    error = charting.upload_chart(
        runtime, client, reply, channel=channel, thread_ts=posting.thread_ts
    )
    if error is not None:
        failed = translator(reply.language)("chart.upload_failed", error=error)
        client.chat_postMessage(channel=channel, text=failed, thread_ts=posting.thread_ts)
    if reply.home_opened and reply.answers_moved:
        home.refresh_home(runtime, client, posting.user_id)


def post_after_ack(context: BoltContext, posting: Posting) -> None:
    """Post this committed reply after the ack, with the request's client (a Posting
    without a reply, a redelivery, posts nothing). A plain reply goes to the reply process
    when there is one (bot.slack.reply_process); one with a chart or a Home tab to
    refresh, or when the reply process cannot take it, is posted here."""
    reply = posting.reply
    if reply is None:
        return
    runtime = runtime_of(context)
    if _handed_to_process(context, posting, reply):
        people = names_to_learn(runtime, (posting.user_id, *posting.people))
        if people:
            after_ack(context, partial(learn_names, runtime, context.client, people))
        return
    after_ack(context, partial(post, runtime, context.client, posting))


def _handed_to_process(context: BoltContext, posting: Posting, reply: Reply) -> bool:
    process = reply_process_of(context)
    if process is None or not reply.parts or reply.find(ChartFile) is not None:
        return False
    if reply.home_opened and reply.answers_moved:
        return False
    text, payload = blocks.message(translator(reply.language), reply)
    job = {"user": posting.user_id, "channel": posting.channel, "text": text, "blocks": payload}
    if posting.thread_ts is not None:
        job["thread"] = posting.thread_ts
    return process.send(job)
