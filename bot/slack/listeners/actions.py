"""Buttons: 報告する (open the answer form), 前のページ, and which-department choices.

Whatever a click changes in the database is committed before the ack (process_before_
response); Web API calls (views.open/update, the reply) run in lazy listeners after it.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.slack import blocks, ids, intake, payloads
from bot.slack.answer_form import FormMeta, read_values
from bot.slack.handoff import hand_over, handed
from bot.slack.listeners.events import POSTING, Posting, post
from bot.slack.web import dm_channel
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.intents import ChooseDepartment, FormPage, OpenForm
from handlers.interaction.reply import FormView

logger = logging.getLogger("hokoku.slack")
REPLY = "hokoku_reply"  # context key: the committed reply, for the lazy listener


def _report_target(body: dict[str, Any]) -> tuple[int, int]:
    """The (round, department) a 報告する button carries in its value."""
    raw = payloads.text(payloads.first_action(body), "value")
    try:
        value = json.loads(raw)
    except ValueError:
        raise payloads.MalformedPayload("actions.value: not JSON") from None
    return payloads.integer(payloads.mapping(value).get("r"), what="r"), payloads.integer(
        payloads.mapping(value).get("d"), what="d"
    )


def _locale(body: dict[str, Any]) -> str:
    return payloads.optional_text(body, "user", "locale")


def opened_web_link(ack: Ack) -> None:
    """A URL button opens the browser by itself; Slack still reports the click, which is
    acknowledged and nothing else."""
    ack()


def register(app: App, runtime: Runtime) -> None:
    def ack_open_report(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Check and build page 1 of the form (read only); the lazy listener opens it."""
        round_id, department_id = _report_target(body)
        user_id = payloads.text(body, "user", "id")
        who = intake.actor(runtime, user_id=user_id, locale=_locale(body))
        hand_over(context, REPLY, intake.show(runtime, who, OpenForm(round_id, department_id)))
        ack()

    def open_report(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        reply: Reply = handed(context, REPLY)
        t = translator(reply.language)
        view = reply.find(FormView)
        if view is not None:
            client.views_open(
                trigger_id=payloads.text(body, "trigger_id"), view=blocks.modal(t, view)
            )
            return
        user_id = payloads.text(body, "user", "id")
        text, payload = blocks.message(t, reply)  # why not: said in the person's DM
        client.chat_postMessage(channel=dm_channel(client, user_id), text=text, blocks=payload)

    def save_page_back(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Keep what was typed on this page (committed), then the lazy listener turns back."""
        view = payloads.mapping(body, "view")
        meta = FormMeta.load(payloads.text(view, "private_metadata"))
        who = intake.actor(runtime, user_id=payloads.text(body, "user", "id"), locale=_locale(body))
        page = FormPage(
            round_id=meta.round_id,
            department_id=meta.department_id,
            page=meta.page,
            values=read_values(payloads.mapping(view, "state", "values")),
            form_id=payloads.text(view, "id"),
            back=True,
        )
        hand_over(context, REPLY, intake.run(runtime, who, page))
        ack()

    def turn_page_back(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        reply: Reply | None = handed(context, REPLY)
        view = reply.find(FormView) if reply else None
        if reply is None or view is None:
            return
        page = payloads.mapping(body, "view")
        try:
            client.views_update(
                view_id=payloads.text(page, "id"),
                hash=payloads.optional_text(page, "hash") or None,
                view=blocks.modal(translator(reply.language), view),
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "hash_conflict":  # a double click: already turned
                raise

    def choose_department(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """The person said which department they answer for: the waiting DM runs as it."""
        user_id = payloads.text(body, "user", "id")
        channel = payloads.optional_text(body, "channel", "id")
        message_ts = payloads.optional_text(body, "message", "ts") or payloads.optional_text(
            body, "container", "message_ts"
        )
        department_id = payloads.integer(
            payloads.text(payloads.first_action(body), "value"), what="department"
        )
        who = intake.actor(runtime, user_id=user_id, locale=_locale(body))
        reply = intake.run(
            runtime,
            who,
            ChooseDepartment(department_id),
            delivery=f"choice:{channel}:{message_ts}",
        )
        hand_over(context, POSTING, Posting(reply, channel, user_id) if reply else None)
        ack()

    def reply_choice(context: BoltContext, client: WebClient) -> None:
        post(runtime, client, handed(context, POSTING))

    app.action(re.compile(rf"^{ids.ACTION_OPEN_REPORT}(_\d+)?$"))(
        ack=ack_open_report, lazy=[open_report]
    )
    app.action(ids.ACTION_PAGE_BACK)(ack=save_page_back, lazy=[turn_page_back])
    app.action(ids.WEB_LINK)(opened_web_link)
    app.action(re.compile(rf"^{ids.ACTION_CHOOSE_DEPARTMENT}_\d+$"))(
        ack=choose_department, lazy=[reply_choice]
    )
