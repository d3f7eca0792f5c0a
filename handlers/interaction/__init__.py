"""One inbound interaction layer for every channel (console, Slack, LINE).

Adapters translate a payload into an `Inbound` (who acts, where, and one intent), call
`handle` inside their transaction, and lay out the `Reply` they get back: Block Kit,
Flex or text. Authorization, the round-open check, validation, conversation state
(department choice, awaited comment, form drafts), dedupe and every text live here and in
the handlers it calls, the same on every channel.
"""

from handlers.interaction.intents import Actor, Inbound, Surface
from handlers.interaction.layer import handle
from handlers.interaction.reply import Reply

__all__ = ["Actor", "Inbound", "Reply", "Surface", "handle"]
