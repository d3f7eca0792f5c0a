"""The answer modal's submit: validate the page, turn to the next one, or store everything.

One transaction per submit, committed before bolt answers Slack (the answer is durable
when Slack shows the modal closed); the confirmation DM goes out from a lazy listener.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.slack import answering, home, ids, payloads
from bot.slack.answer_form import read_values
from bot.slack.context import dm_channel
from handlers.errors import HokokuError
from models.db import INTAKE_ATTEMPTS, run_transaction

logger = logging.getLogger("hokoku.slack")

# Where a submission-wide error (closed round, lost permission) is shown: the first input.
_GENERAL_ERROR_BLOCK = "general"
STORED = "hokoku_stored"  # context key: what the final submit stored, for the lazy DM


def register(app: App, runtime: Runtime) -> None:
    def submit(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        view = payloads.mapping(body, "view")
        user_id = payloads.text(body, "user", "id")
        meta = answering.form_meta(payloads.text(view, "private_metadata"))
        state_values = payloads.mapping(view, "state", "values")
        values = read_values(state_values)
        view_id = payloads.text(view, "id")
        view_hash = payloads.optional_text(view, "hash")

        def work(session: Session) -> answering.PageResult:
            return answering.submit_page(
                session,
                user_id=user_id,
                view_id=view_id,
                view_hash=view_hash,
                meta=meta,
                values=values,
            )

        try:
            result = run_transaction(runtime.factory, work, attempts=INTAKE_ATTEMPTS)
        except HokokuError as exc:
            first_block = next(iter(state_values), _GENERAL_ERROR_BLOCK)
            ack(response_action="errors", errors={first_block: exc.message})
            return
        if result.errors:
            ack(response_action="errors", errors=result.errors)
        elif result.next_view is not None:
            ack(response_action="update", view=result.next_view)
        else:
            context[STORED] = result.stored
            ack()  # closes the modal

    def confirm(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        stored: answering.Stored | None = context.get(STORED)
        if stored is None or stored.duplicate:
            return
        user_id = payloads.text(body, "user", "id")
        client.chat_postMessage(
            channel=dm_channel(client, user_id), text=answering.confirmation_text(stored)
        )
        if home.answers_changed(stored.outcomes):
            home.refresh_home(runtime, client, user_id)

    app.view(ids.CALLBACK_ANSWER)(ack=submit, lazy=[confirm])
