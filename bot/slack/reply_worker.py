"""The reply process's own program (`python -m bot.slack.reply_worker`): posts committed
replies, one JSON line each on its stdin, until its stdin closes.

It is started and fed by `bot.slack.reply_process`; nobody runs it by hand. It needs no
database: each line holds a reply already rendered (its fallback text and blocks) and
where it goes. The server gives it the bot token, the API's URL and the log settings in
its environment (never on its command line). A reply Slack refuses is logged and the next one
posted; the process ends when the server closes the pipe, after the last line it got.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import IO, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.logs import install_handler
from bot.slack.webclient import web_client

logger = logging.getLogger("bot.slack.reply_process")
SLACK_API = "https://slack.com/api/"


class Poster:
    """Posts one job after another; a DM's channel is asked for once per user (as the
    server's own posting does, bot.slack.posting.dm_channel)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self.channels: dict[str, str] = {}

    def post(self, job: dict[str, Any]) -> None:
        channel = job.get("channel") or self._dm(str(job["user"]))
        self.client.chat_postMessage(
            channel=channel, text=job["text"], blocks=job["blocks"], thread_ts=job.get("thread")
        )

    def _dm(self, user_id: str) -> str:
        if user_id not in self.channels:
            opened = self.client.conversations_open(users=user_id).get("channel") or {}
            found = opened.get("id")
            if not found:
                return user_id
            self.channels[user_id] = str(found)
        return self.channels[user_id]


def serve(lines: Any, poster: Poster, done: IO[bytes]) -> int:
    """Post every job read from `lines`, writing one byte to `done` after each (posted or
    not: the server counts them to know when all it handed over is through); the number
    posted."""
    posted = 0
    for line in lines:
        try:
            poster.post(json.loads(line))
            posted += 1
        except (SlackClientError, OSError, ValueError, KeyError) as exc:
            logger.warning("a reply was not posted: %s", exc)
        try:
            done.write(b".")
            done.flush()
        except BrokenPipeError:  # the server is gone: nothing more will come
            break
    return posted


def main() -> None:
    """The server passes what it needs through the environment (bot.slack.reply_process),
    as it has it: the settings are not loaded again (nor are bolt and the handlers)."""
    env = os.environ
    token = env.get("SLACK_BOT_TOKEN")
    if not token:  # run by hand: say what it needs
        from handlers.i18n import msg, translator

        words = translator(env.get("HOKOKU_LANGUAGE") or "ja")
        sys.exit(words.render(msg("settings.missing", names=("SLACK_BOT_TOKEN",))))
    install_handler(
        level=env.get("HOKOKU_LOG_LEVEL") or "INFO",
        log_format=env.get("HOKOKU_LOG_FORMAT") or "text",
    )
    client = web_client(token=token, base_url=env.get("SLACK_API_URL") or SLACK_API)
    # Logs go to stderr; stdout is the server's count of what is done.
    serve(sys.stdin.buffer, Poster(client), sys.stdout.buffer)
    # A server that died left a done-byte unwritten: let it go nowhere at exit, quietly.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    main()
