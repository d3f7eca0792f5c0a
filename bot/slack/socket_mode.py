"""Socket Mode that acknowledges every envelope it can answer, handled or not.

bolt's handler acks only what a listener answered with 200. An envelope no listener takes
(a global shortcut, someone else's `block_actions`, an event the app does not handle) or
one refused as malformed then gets no ack, and Slack re-sends it and flags the app as
failing. Here every answer below 500 is an ack (empty for a 4xx: nothing to say back);
only a retryable failure (the database out of reach: 503) stays unacked, so Slack delivers
the envelope again and nothing is lost (bot.intake).
"""

from __future__ import annotations

import logging
from time import time

from slack_bolt import BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

logger = logging.getLogger(__name__)


class AckingSocketModeHandler(SocketModeHandler):
    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        start = time()
        response: BoltResponse = run_bolt_app(self.app, req)
        if 300 <= response.status < 500:
            logger.info(
                "Socket Mode envelope %s (%s) answered %s: acknowledged",
                req.envelope_id,
                req.type,
                response.status,
            )
            response = BoltResponse(status=200, body="")
        send_response(client, req, response, start)
