"""Buttons: 報告する (open the answer form), 前のページ, and which-department choices.

Whatever a click changes in the database is committed before the ack (process_before_
response); Web API calls (views.open/update, the reply) run after it
(bot.slack.handoff's `after_ack`).
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import intake
from bot.runtime import Runtime
from bot.slack import blocks, ids, payloads
from bot.slack.actors import actor
from bot.slack.answer_form import submitted_page
from bot.slack.handoff import after_ack, runtime_of
from bot.slack.posting import Posting, post, post_after_ack
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.intents import ChooseDepartment, OpenForm
from handlers.interaction.reply import FormView


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


def ack_open_report(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Check and build page 1 of the form (read only); it opens after the ack."""
    runtime = runtime_of(context)
    round_id, department_id = _report_target(body)
    who = actor(runtime, user_id=payloads.text(body, "user", "id"), locale=_locale(body))
    reply = intake.show(runtime, who, OpenForm(round_id, department_id))
    after_ack(context, partial(open_report, runtime, context.client, body, reply))
    ack()


def open_report(runtime: Runtime, client: WebClient, body: dict[str, Any], reply: Reply) -> None:
    """The form; or, when it cannot open (why not), that reason in the person's DM."""
    view = reply.find(FormView)
    if view is None:
        post(runtime, client, Posting(reply, payloads.text(body, "user", "id")))
        return
    modal = blocks.modal(translator(reply.language), view)
    client.views_open(trigger_id=payloads.text(body, "trigger_id"), view=modal)


def save_page_back(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Keep what was typed on this page (committed), then turn back after the ack."""
    runtime = runtime_of(context)
    page = submitted_page(payloads.mapping(body, "view"), back=True)
    who = actor(runtime, user_id=payloads.text(body, "user", "id"), locale=_locale(body))
    reply = intake.run(runtime, who, page)
    view = reply.find(FormView) if reply else None
    if reply is not None and view is not None:  # else a double click: already turned
        after_ack(context, partial(turn_page_back, context.client, body, reply, view))
    ack()


def turn_page_back(client: WebClient, body: dict[str, Any], reply: Reply, view: FormView) -> None:
    """Show the page before, unless a double click already turned it."""
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
    runtime = runtime_of(context)
    user_id = payloads.text(body, "user", "id")
    channel = payloads.optional_text(body, "channel", "id")
    message_ts = payloads.optional_text(body, "message", "ts") or payloads.optional_text(
        body, "container", "message_ts"
    )
    department_id = payloads.integer(
        payloads.text(payloads.first_action(body), "value"), what="department"
    )
    reply = intake.run(
        runtime,
        actor(runtime, user_id=user_id, locale=_locale(body)),
        ChooseDepartment(department_id),
        delivery=f"choice:{channel}:{message_ts}",
    )
    post_after_ack(context, Posting(reply, user_id, channel))
    ack()


def opened_web_link(ack: Ack) -> None:
    """A URL button opens the browser by itself; Slack still reports the click, which is
    acknowledged and nothing else."""
    ack()


def register(app: App) -> None:
    app.action(re.compile(rf"^{ids.ACTION_OPEN_REPORT}(_\d+)?$"))(ack_open_report)
    app.action(ids.ACTION_PAGE_BACK)(save_page_back)
    app.action(ids.WEB_LINK)(opened_web_link)
    app.action(re.compile(rf"^{ids.ACTION_CHOOSE_DEPARTMENT}_\d+$"))(choose_department)
