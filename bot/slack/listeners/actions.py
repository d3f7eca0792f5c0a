"""Buttons: "報告する" (open the answer modal), "前のページ", and which-department choices.

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
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.slack import answering, home, ids, payloads
from bot.slack.answer_form import FormMeta, read_values
from bot.slack.chatting import answer_text_as
from bot.slack.context import dm_channel
from handlers.chat import ChatReply
from handlers.errors import HokokuError
from models.db import INTAKE_ATTEMPTS, run_transaction, transaction

logger = logging.getLogger("hokoku.slack")
PAGE_VIEW = "hokoku_page_view"  # context key: the page to show after a "前のページ" click
CHOICE_REPLY = "hokoku_choice_reply"  # context key: the reply after a department choice


def open_report_modal(
    runtime: Runtime,
    client: WebClient,
    *,
    trigger_id: str,
    user_id: str,
    round_id: int,
    department_id: int,
    channel: str = "",
) -> str | None:
    """Open page 1 of the answer modal; returns a Japanese error instead when not allowed."""
    meta = FormMeta(round_id, department_id, 0, channel)
    try:
        with transaction(runtime.reader) as session:
            answering.check_access(session, user_id=user_id, meta=meta)
            view = answering.build_page(session, meta=meta, values={})
    except HokokuError as exc:
        return exc.message
    client.views_open(trigger_id=trigger_id, view=view)
    return None


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


def register(app: App, runtime: Runtime) -> None:
    def ack_open_report(ack: Ack, body: dict[str, Any]) -> None:
        _report_target(body)  # a malformed button is refused (400) before anything else
        payloads.text(body, "user", "id")
        ack()

    def open_report(body: dict[str, Any], client: WebClient) -> None:
        user_id = payloads.text(body, "user", "id")
        round_id, department_id = _report_target(body)
        error = open_report_modal(
            runtime,
            client,
            trigger_id=payloads.text(body, "trigger_id"),
            user_id=user_id,
            round_id=round_id,
            department_id=department_id,
            channel=payloads.optional_text(body, "channel", "id"),
        )
        if error is not None:
            client.chat_postMessage(channel=dm_channel(client, user_id), text=error)

    def save_page_back(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Keep what was typed on this page (committed), then the lazy listener turns back."""
        view = payloads.mapping(body, "view")
        user_id = payloads.text(body, "user", "id")
        meta = answering.form_meta(payloads.text(view, "private_metadata"))
        values = read_values(payloads.mapping(view, "state", "values"))
        view_id = payloads.text(view, "id")

        def work(session: Session) -> dict[str, Any]:
            draft = answering.save_draft(session, view_id=view_id, user_id=user_id, values=values)
            target = FormMeta(meta.round_id, meta.department_id, meta.page - 1, meta.channel)
            return answering.build_page(session, meta=target, values=draft)

        context[PAGE_VIEW] = run_transaction(runtime.factory, work, attempts=INTAKE_ATTEMPTS)
        ack()

    def turn_page_back(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        view = payloads.mapping(body, "view")
        try:
            client.views_update(
                view_id=payloads.text(view, "id"),
                hash=payloads.optional_text(view, "hash") or None,
                view=context[PAGE_VIEW],
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "hash_conflict":  # a double click: already turned
                raise

    def choose_department(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """The person said which department their DM answer is for: re-run it as that one."""
        user_id = payloads.text(body, "user", "id")
        channel = payloads.optional_text(body, "channel", "id")
        message_ts = payloads.optional_text(body, "message", "ts") or payloads.optional_text(
            body, "container", "message_ts"
        )
        department_id = payloads.integer(
            payloads.text(payloads.first_action(body), "value"), what="department"
        )
        context[CHOICE_REPLY] = answer_text_as(
            runtime,
            user_id=user_id,
            channel=channel,
            department_id=department_id,
            claim_key=f"choice:{channel}:{message_ts}",
        )
        ack()

    def reply_choice(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        reply: ChatReply | None = context.get(CHOICE_REPLY)
        if reply is None:
            return
        client.chat_postMessage(
            channel=payloads.optional_text(body, "channel", "id"), text=reply.text
        )
        if home.answers_changed(reply.stored):
            home.refresh_home(runtime, client, payloads.text(body, "user", "id"))

    app.action(re.compile(rf"^{ids.ACTION_OPEN_REPORT}(_\d+)?$"))(
        ack=ack_open_report, lazy=[open_report]
    )
    app.action(ids.ACTION_PAGE_BACK)(ack=save_page_back, lazy=[turn_page_back])
    app.action(re.compile(rf"^{ids.ACTION_CHOOSE_DEPARTMENT}_\d+$"))(
        ack=choose_department, lazy=[reply_choice]
    )
