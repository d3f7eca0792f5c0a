"""Build the bolt App from Settings + Runtime, with a retrying Web API client.

`process_before_response=True`: bolt runs a listener to its end before it answers Slack,
so an answer is acknowledged only once it is committed (Slack never re-sends an event it
got a 200 for). Everything that talks to Slack's Web API afterwards (replies, views.open)
runs in bolt's listener executor (`bot.slack.handoff.after_ack`),
so the ack stays well inside Slack's 3 seconds.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot import intake
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.listeners import register_listeners
from bot.slack.payloads import MalformedPayload
from bot.slack.reply_process import ReplyProcess
from bot.slack.webclient import web_client
from handlers.i18n import msg, translator

logger = logging.getLogger(__name__)


class SlackNotConfigured(Exception):
    """SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET is missing."""


def _missing(settings: Settings, names: tuple[str, ...]) -> str:
    return translator(settings.language).render(msg("settings.missing", names=names))


def make_client(settings: Settings) -> WebClient:
    """A WebClient against SLACK_API_URL that honours 429 Retry-After and retries blips."""
    if settings.slack_bot_token is None:
        raise SlackNotConfigured(_missing(settings, ("SLACK_BOT_TOKEN",)))
    return web_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )


def build_slack_app(
    settings: Settings,
    runtime: Runtime,
    *,
    listener_executor: Executor | None = None,
    verified_before: bool = False,
    reply_process: ReplyProcess | None = None,
) -> App:
    """The bolt App with every listener registered. Signatures are checked by bolt, or,
    with `verified_before`, by the route before bolt sees the request (bot.slack.http
    checks each one there, with the same verifier, and refuses what fails)."""
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        missing = [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", settings.slack_bot_token),
                ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
            )
            if value is None
        ]
        raise SlackNotConfigured(_missing(settings, tuple(missing)))
    kwargs = {} if listener_executor is None else {"listener_executor": listener_executor}
    app = App(
        name="hokoku",
        logger=logger,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=make_client(settings),
        process_before_response=True,
        request_verification_enabled=not verified_before,
        **kwargs,  # type: ignore[arg-type]
    )
    app.error(error_response)
    register_listeners(app, runtime, reply_process=reply_process)
    return app


def error_response(error: Exception) -> BoltResponse:
    """What Slack is told when a listener fails: retry (503) unless the payload is bad (400).

    Nothing of a failed listener was committed, so a 503 loses nothing: Slack re-sends
    events, and a person who sees an interaction fail presses the button again.
    """
    if isinstance(error, intake.UNAVAILABLE):
        logger.warning("database not available, asked Slack to retry: %s", error)
        return BoltResponse(
            status=503, body="database unavailable; please retry", headers={**intake.RETRY_AFTER}
        )
    if isinstance(error, MalformedPayload):
        logger.warning("malformed Slack payload refused: %s", error)
        return BoltResponse(status=400, body="malformed payload")
    logger.error("Slack listener failed", exc_info=error)
    return BoltResponse(status=500, body="")
