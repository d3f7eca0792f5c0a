"""The answer modal's submit: validate the page, turn to the next one, or store everything."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack import answering, home, ids
from bot.slack.answer_form import FormMeta, read_values, validate
from bot.slack.context import dm_channel
from handlers.errors import HokokuError
from models.db import transaction

logger = logging.getLogger("hokoku.slack")

# Where a submission-wide error (closed round, lost permission) is shown: the first input.
_GENERAL_ERROR_BLOCK = "general"


def register(app: App, runtime: Runtime) -> None:
    @app.view(ids.CALLBACK_ANSWER)
    def submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        user_id = body["user"]["id"]
        meta = FormMeta.load(view["private_metadata"])
        values = read_values(view.get("state", {}).get("values", {}))
        first_block = next(iter(view.get("state", {}).get("values", {})), _GENERAL_ERROR_BLOCK)
        try:
            with transaction(runtime.factory) as session:
                answering.check_access(session, user_id=user_id, meta=meta)
                errors = validate(values, scale=answering.scale_of(session, meta))
                last = meta.page >= answering.page_count_for(session, meta) - 1
                next_view = None
                if not errors and not last:
                    draft = answering.save_draft(
                        session, view_id=view["id"], user_id=user_id, values=values
                    )
                    nxt = FormMeta(meta.round_id, meta.department_id, meta.page + 1, meta.channel)
                    next_view = answering.build_page(session, meta=nxt, values=draft)
            if errors:
                ack(response_action="errors", errors=errors)
                return
            if next_view is not None:
                ack(response_action="update", view=next_view)
                return
            with transaction(runtime.factory) as session:
                stored = answering.store_submission(
                    session,
                    runtime=runtime,
                    user_id=user_id,
                    view_id=view["id"],
                    view_hash=view.get("hash", ""),
                    meta=meta,
                    values=values,
                )
        except HokokuError as exc:
            ack(response_action="errors", errors={first_block: exc.message})
            return
        ack()  # closes the modal
        if not stored.duplicate:
            client.chat_postMessage(
                channel=dm_channel(client, user_id), text=answering.confirmation_text(stored)
            )
            if home.answers_changed(stored.outcomes):
                home.refresh_home(runtime, client, user_id)
