"""The answer modal's submit: validate the page, turn to the next one, or store everything.

One transaction per submit, committed before bolt answers Slack (the answer is durable
when Slack shows the modal closed); the confirmation DM goes out after the ack
(bot.slack.posting).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot import intake
from bot.slack import blocks, ids, payloads
from bot.slack.actors import actor
from bot.slack.answer_form import submitted_page
from bot.slack.handoff import runtime_of
from bot.slack.posting import Posting, post_after_ack
from handlers.i18n import translator
from handlers.interaction.reply import FormErrors, FormView


def submit(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Errors or the next page go back in the ack; stored answers are confirmed after it."""
    runtime = runtime_of(context)
    view = payloads.mapping(body, "view")
    submission = f"view:{payloads.text(view, 'id')}:{payloads.optional_text(view, 'hash')}"
    page = submitted_page(view, submit_key=submission)
    user_id = payloads.text(body, "user", "id")
    who = actor(runtime, user_id=user_id, locale=payloads.optional_text(body, "user", "locale"))
    reply = intake.run(runtime, who, page)
    assert reply is not None  # no delivery key: the submission is claimed when stored
    t = translator(reply.language)
    errors = reply.find(FormErrors)
    next_page = reply.find(FormView)
    if errors is not None:
        ack(
            response_action="errors",
            errors=blocks.form_errors(errors, t, payloads.mapping(view, "state", "values")),
        )
    elif next_page is not None:
        ack(response_action="update", view=blocks.modal(t, next_page))
    else:
        post_after_ack(context, Posting(reply, user_id))  # confirmed in the person's DM
        ack()  # closes the modal


def register(app: App) -> None:
    app.view(ids.CALLBACK_ANSWER)(submit)
