"""Listeners by kind (commands, actions, views, events), in the shape of bolt's starter
template: each module holds module-level listener functions and a `register(app)`.

Listeners find the runtime in bolt's context (`handoff.runtime_of`), put there for every
request by the global middleware `handoff.RuntimeMiddleware` with bolt's listener
executor, where what follows an ack runs (`handoff.after_ack`), and the process that posts
plain replies, when the server runs one (`bot.slack.reply_process`).
"""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from bot.slack.handoff import RuntimeMiddleware
from bot.slack.listeners import actions, commands, events, views
from bot.slack.reply_process import ReplyProcess


def register_listeners(
    app: App, runtime: Runtime, *, reply_process: ReplyProcess | None = None
) -> None:
    app.use(RuntimeMiddleware(runtime, app.listener_runner.listener_executor, reply_process))
    # bolt tries the listeners in the order they were registered, each one's matchers
    # building every argument a listener could ask for: what comes most often comes first
    # (a DM answer, a form page, `/hokoku`), instead of a DM answer trying six others first.
    events.register_messages(app)
    views.register(app)
    commands.register(app)
    events.register(app)
    actions.register(app)
