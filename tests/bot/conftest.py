"""Fixtures of the bot's HTTP tests (the server and a fake Slack Web API)."""

from tests.bot.slack.harness import fake_slack, slack, slack_runtime

__all__ = ["fake_slack", "slack", "slack_runtime"]
