"""Small Web API steps the listeners share."""

from __future__ import annotations

from slack_sdk import WebClient


def dm_channel(client: WebClient, user_id: str) -> str:
    """The bot's DM with this user (conversations.open is idempotent)."""
    opened = client.conversations_open(users=user_id)
    channel = opened.get("channel") or {}
    return str(channel.get("id") or user_id)
