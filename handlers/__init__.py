"""Platform-neutral use cases. Take a Session and plain values, return plain dataclasses.

The rooms follow the office's year (organization, plan, reporting, committee, export, then
renderers and interaction for the chats) over a ground floor that imports no room (errors,
i18n, normalize, fiscal, scale, ports); import-linter keeps them layered (pyproject.toml).
Nothing here imports slack_bolt, slack_sdk or linebot.

Use cases are handed a Session and never commit it: the caller (CLI command, chat adapter,
scheduler) owns the transaction. The one exception is `organization.database_copy`
(`hokoku db copy`): it is handed two Engines, not a session, migrates the target and fills
it in a transaction of its own, so that the copy is all or nothing.
"""
