"""The answer modal's submit: validate the page, turn to the next one, or store everything.

One transaction per submit, committed before bolt answers Slack (the answer is durable
when Slack shows the modal closed); the confirmation DM goes out from a lazy listener.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import intake
from bot.runtime import Runtime
from bot.slack import blocks, home, ids, payloads
from bot.slack.actors import actor
from bot.slack.answer_form import FormMeta, read_values
from bot.slack.handoff import hand_over, handed
from bot.slack.web import dm_channel
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.intents import FormPage
from handlers.interaction.reply import FormErrors, FormView

STORED = "hokoku_stored"  # context key: what the final submit stored, for the lazy DM


def register(app: App, runtime: Runtime) -> None:
    def submit(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        view = payloads.mapping(body, "view")
        meta = FormMeta.load(payloads.text(view, "private_metadata"))
        state_values = payloads.mapping(view, "state", "values")
        view_id = payloads.text(view, "id")
        who = actor(
            runtime,
            user_id=payloads.text(body, "user", "id"),
            locale=payloads.optional_text(body, "user", "locale"),
        )
        page = FormPage(
            round_id=meta.round_id,
            department_id=meta.department_id,
            page=meta.page,
            values=read_values(state_values),
            form_id=view_id,
            submit_key=f"view:{view_id}:{payloads.optional_text(view, 'hash')}",
        )
        reply = intake.run(runtime, who, page)
        assert reply is not None  # no delivery key: the submission is claimed when stored
        t = translator(reply.language)
        errors = reply.find(FormErrors)
        next_page = reply.find(FormView)
        if errors is not None:
            ack(response_action="errors", errors=blocks.form_errors(errors, t, state_values))
        elif next_page is not None:
            ack(response_action="update", view=blocks.modal(t, next_page))
        else:
            hand_over(context, STORED, reply)
            ack()  # closes the modal

    def confirm(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        reply: Reply | None = handed(context, STORED)
        if reply is None or not reply.parts:  # a submission already stored
            return
        user_id = payloads.text(body, "user", "id")
        text, payload = blocks.message(translator(reply.language), reply)
        client.chat_postMessage(channel=dm_channel(client, user_id), text=text, blocks=payload)
        if home.answers_changed(reply.stored):
            home.refresh_home(runtime, client, user_id)

    app.view(ids.CALLBACK_ANSWER)(ack=submit, lazy=[confirm])
