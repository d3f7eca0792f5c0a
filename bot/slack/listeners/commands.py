"""`/hokoku` sub-commands: the interaction layer's command table (help lists it); every
reply is ephemeral.

The listener runs the command and commits before the ack, which carries the reply. What
needs the Web API afterwards runs after the ack (bot.slack.handoff's `after_ack`), and only
when the reply has it: opening the answer form (views.open with the trigger), the export,
which is slow (built and uploaded after the ack), and a chart. The office's status, the
command asked most, has nothing to do after its ack.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import intake
from bot.runtime import Runtime
from bot.slack import blocks, charting, exporting, payloads
from bot.slack.actors import actor
from bot.slack.handoff import after_ack, runtime_of
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.intents import Text
from handlers.interaction.reply import ChartFile, ExportFile, FormView
from models.db import transaction


def answer(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """Run the sub-command and commit; the ack carries the reply (a form opens later)."""
    runtime = runtime_of(context)
    user_id = payloads.text(body, "user_id")
    trigger = payloads.optional_text(body, "trigger_id")
    who = actor(runtime, user_id=user_id, slash=True)
    command = Text(payloads.optional_text(body, "text"), commands_only=True)
    reply = intake.run(runtime, who, command, delivery=f"command:{user_id}:{trigger}")
    if reply is None:  # the same command delivered again
        ack(text=translator(runtime.settings.language)("slash.received"))
        return
    if any(reply.find(kind) is not None for kind in _AFTER_THE_ACK):
        after_ack(context, partial(_follow_up, runtime, body, reply, client, respond))
    if reply.find(FormView) is not None:
        ack()  # the form opens after the ack, within the trigger's 3 seconds
        return
    text, payload = _message(reply)
    ack(text=text, blocks=payload, response_type="ephemeral")


# What replies made of the same part objects rendered to (the office's status is kept and
# answered again with the same parts while the round is unchanged: see
# handlers.interaction.commands). Each entry holds its parts, so their ids stay theirs.
_RENDERED: dict[tuple[str, tuple[int, ...]], tuple[tuple[Any, ...], tuple[str, Any]]] = {}
_RENDERED_KEPT = 64


def _message(reply: Reply) -> tuple[str, Any]:
    key = (reply.language, tuple(id(part) for part in reply.parts))
    found = _RENDERED.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], reply.parts, strict=True)):
        return found[1]
    rendered = blocks.message(translator(reply.language), reply)
    if len(_RENDERED) >= _RENDERED_KEPT:
        _RENDERED.clear()
    _RENDERED[key] = (reply.parts, rendered)
    return rendered


# The parts of a reply that need the Web API after the ack.
_AFTER_THE_ACK = (FormView, ExportFile, ChartFile)


def _follow_up(
    runtime: Runtime, body: dict[str, Any], reply: Reply, client: WebClient, respond: Respond
) -> None:
    """Open the form, post the export, upload the chart: whichever the reply has."""
    _open_form(body, reply, client)
    _export(runtime, body, reply, client, respond)
    _chart(runtime, body, reply, client, respond)


def _open_form(body: dict[str, Any], reply: Reply, client: WebClient) -> None:
    view = reply.find(FormView)
    if view is None:
        return
    modal = blocks.modal(translator(reply.language), view)
    client.views_open(trigger_id=payloads.text(body, "trigger_id"), view=modal)


def _export(
    runtime: Runtime, body: dict[str, Any], reply: Reply, client: WebClient, respond: Respond
) -> None:
    """Build the XLSX after the ack (it may take its time) and post it."""
    export = reply.find(ExportFile)
    if export is None:
        return
    t = translator(reply.language)
    with transaction(runtime.reader) as session:
        document = exporting.build(session, round_id=export.round_id, language=reply.language)
    try:
        client.files_upload_v2(
            channel=payloads.optional_text(body, "channel_id"),
            filename=document.filename,
            content=document.content,
            title=document.title,
            initial_comment=t("export.posted", title=document.title),
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        respond(text=t("export.upload_failed", error=error), response_type="ephemeral")


def _chart(
    runtime: Runtime, body: dict[str, Any], reply: Reply, client: WebClient, respond: Respond
) -> None:
    """Draw the chart after the ack and upload it to the channel of the command."""
    channel = payloads.optional_text(body, "channel_id")
    error = charting.upload_chart(runtime, client, reply, channel=channel)
    if error is not None:
        t = translator(reply.language)
        respond(text=t("chart.upload_failed", error=error), response_type="ephemeral")


def register(app: App) -> None:
    app.command("/hokoku")(answer)
