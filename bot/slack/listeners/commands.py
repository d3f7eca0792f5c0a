"""`/hokoku` sub-commands: the interaction layer's command table (help lists it); every
reply is ephemeral.

The listener runs the command and commits before the ack, which carries the reply. What
needs the Web API afterwards runs in lazy listeners: opening the answer form (views.open
with the trigger) and the export, which is slow (built and uploaded after the ack).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import intake
from bot.runtime import Runtime
from bot.slack import blocks, charting, exporting, payloads
from bot.slack.actors import actor
from bot.slack.handoff import hand_over, handed
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.intents import Text
from handlers.interaction.reply import ExportFile, FormView
from models.db import transaction

REPLY = "hokoku_reply"  # context key: the committed reply, for the lazy listeners


def register(app: App, runtime: Runtime) -> None:
    def answer(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Run the sub-command and commit; the ack carries the reply (a form opens later)."""
        user_id = payloads.text(body, "user_id")
        trigger = payloads.optional_text(body, "trigger_id")
        who = actor(runtime, user_id=user_id, slash=True)
        command = Text(payloads.optional_text(body, "text"), commands_only=True)
        reply = intake.run(runtime, who, command, delivery=f"command:{user_id}:{trigger}")
        if reply is None:  # the same command delivered again
            ack(text=translator(runtime.settings.language)("slash.received"))
            return
        hand_over(context, REPLY, reply)
        if reply.find(FormView) is not None:
            ack()  # the form opens from the lazy listener, within the trigger's 3 seconds
            return
        text, payload = blocks.message(translator(reply.language), reply)
        ack(text=text, blocks=payload, response_type="ephemeral")

    def open_form(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        reply: Reply | None = handed(context, REPLY)
        view = reply.find(FormView) if reply else None
        if reply is None or view is None:
            return
        modal = blocks.modal(translator(reply.language), view)
        client.views_open(trigger_id=payloads.text(body, "trigger_id"), view=modal)

    def export_later(
        body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        """Build the XLSX after the ack (it may take its time) and post it."""
        reply: Reply | None = handed(context, REPLY)
        export = reply.find(ExportFile) if reply else None
        if reply is None or export is None:
            return
        t = translator(reply.language)
        with transaction(runtime.reader) as session:
            document = exporting.build(session, round_id=export.round_id)
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

    def chart_later(
        body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        """Draw the chart after the ack and upload it to the channel of the command."""
        reply: Reply | None = handed(context, REPLY)
        channel = payloads.optional_text(body, "channel_id")
        error = charting.upload_chart(runtime, client, reply, channel=channel)
        if reply is not None and error is not None:
            t = translator(reply.language)
            respond(text=t("chart.upload_failed", error=error), response_type="ephemeral")

    def after_ack(
        body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        """One lazy listener, not two: bolt copies the request for each one it starts."""
        open_form(body, context, client)
        export_later(body, context, client, respond)
        chart_later(body, context, client, respond)

    app.command("/hokoku")(ack=answer, lazy=[after_ack])
