"""Buttons: "報告する" (open the answer modal), "前のページ", and which-department choices."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.slack import answering, home, ids
from bot.slack.answer_form import FormMeta, read_values
from bot.slack.chatting import answer_text_as
from bot.slack.context import dm_channel
from handlers.errors import HokokuError
from models.db import transaction

logger = logging.getLogger("hokoku.slack")


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
        with transaction(runtime.factory) as session:
            answering.check_access(session, user_id=user_id, meta=meta)
            view = answering.build_page(session, meta=meta, values={})
    except HokokuError as exc:
        return exc.message
    client.views_open(trigger_id=trigger_id, view=view)
    return None


def register(app: App, runtime: Runtime) -> None:
    @app.action(re.compile(rf"^{ids.ACTION_OPEN_REPORT}(_\d+)?$"))
    def open_report(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        value = json.loads(body["actions"][0]["value"])
        channel = (body.get("channel") or {}).get("id", "")
        error = open_report_modal(
            runtime,
            client,
            trigger_id=body["trigger_id"],
            user_id=user_id,
            round_id=int(value["r"]),
            department_id=int(value["d"]),
            channel=channel,
        )
        if error is not None:
            client.chat_postMessage(channel=dm_channel(client, user_id), text=error)

    @app.action(ids.ACTION_PAGE_BACK)
    def page_back(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Keep what was typed on this page, then show the previous one (hash: no double turn)."""
        ack()
        view = body["view"]
        user_id = body["user"]["id"]
        meta = FormMeta.load(view["private_metadata"])
        values = read_values(view.get("state", {}).get("values", {}))
        with transaction(runtime.factory) as session:
            draft = answering.save_draft(
                session, view_id=view["id"], user_id=user_id, values=values
            )
            target = FormMeta(meta.round_id, meta.department_id, meta.page - 1, meta.channel)
            new_view = answering.build_page(session, meta=target, values=draft)
        try:
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=new_view)
        except SlackApiError as exc:
            if exc.response.get("error") != "hash_conflict":  # a double click: already turned
                raise

    @app.action(re.compile(rf"^{ids.ACTION_CHOOSE_DEPARTMENT}_\d+$"))
    def choose_department(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The person said which department their DM answer is for: re-run it as that one."""
        ack()
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id", "")
        message_ts = (body.get("message") or {}).get("ts") or body.get("container", {}).get(
            "message_ts", ""
        )
        department_id = int(body["actions"][0]["value"])
        reply = answer_text_as(
            runtime,
            user_id=user_id,
            channel=channel,
            department_id=department_id,
            claim_key=f"choice:{channel}:{message_ts}",
        )
        if reply is not None:
            client.chat_postMessage(channel=channel, text=reply.text)
            if home.answers_changed(reply.stored):
                home.refresh_home(runtime, client, user_id)
