"""The Slack adapter (slack-bolt): listeners by area, Block Kit builders, outbound messenger."""
