"""Fixtures of the bot's HTTP tests (the server and fake Slack and LINE Web APIs)."""

from tests.bot.line.conftest import line_api
from tests.bot.slack.harness import fake_slack, slack, slack_runtime

__all__ = ["fake_slack", "line_api", "slack", "slack_runtime"]
