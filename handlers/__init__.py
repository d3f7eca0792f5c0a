"""Platform-neutral use cases. Take a Session and plain values, return plain dataclasses.

Nothing here imports slack_bolt, slack_sdk or linebot, and nothing here commits:
the caller (CLI command, chat adapter, scheduler) owns the transaction.
"""
