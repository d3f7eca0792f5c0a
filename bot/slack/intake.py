"""From a Slack payload's facts to the interaction layer and back: one transaction each.

Listeners read the payload (bot.slack.payloads), pick the intent, and call `run`, which
claims the delivery and answers inside one transaction (committed before bolt acks);
`show` runs read-only work (a form to open, the Home tab) on the reader.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.slack.answer_form import PER_PAGE
from bot.slack.ids import PLATFORM
from handlers.interaction import Actor, Inbound, Reply, Surface, handle
from handlers.interaction.intents import USER, Intent
from models import utcnow
from models.db import INTAKE_ATTEMPTS, run_transaction, transaction

SLASH = "/hokoku "
_SURFACE = Surface(forms=True, files=True, form_page_size=PER_PAGE)
_SLASH_SURFACE = Surface(forms=True, files=True, form_page_size=PER_PAGE, command_prefix=SLASH)


def actor(
    runtime: Runtime,
    *,
    user_id: str,
    channel: str = "",
    chat_kind: str = USER,
    locale: str | None = None,
    slash: bool = False,
) -> Actor:
    """A DM, a slash command or a button is the person; an @mention in a channel is the
    channel (its department answers, whoever types)."""
    return Actor(
        organization_id=runtime.organization_id,
        platform=PLATFORM,
        person=user_id,
        chat_id=user_id if chat_kind == USER else channel,
        chat_kind=chat_kind,
        language=runtime.settings.language,
        locale=locale or None,
        # The web console's sign-in links (`web`) are made under HOKOKU_PUBLIC_URL.
        surface=dataclasses.replace(
            _SLASH_SURFACE if slash else _SURFACE, public_url=runtime.settings.public_url
        ),
    )


def run(
    runtime: Runtime, who: Actor, intent: Intent, *, delivery: str | None = None
) -> Reply | None:
    """Handle one intent and commit; None when this delivery was already handled."""
    inbound = Inbound(who, intent, now=utcnow(), today=runtime.today(), delivery=delivery)

    def work(session: Session) -> Reply | None:
        return handle(session, inbound)

    return run_transaction(runtime.factory, work, attempts=INTAKE_ATTEMPTS)


def show(runtime: Runtime, who: Actor, intent: Intent) -> Reply:
    """Read-only work (a form to open, the Home tab) on the reader, which never waits for
    the one SQLite writer."""
    inbound = Inbound(who, intent, now=utcnow(), today=runtime.today())
    with transaction(runtime.reader) as session:
        reply = handle(session, inbound)
    assert reply is not None  # no delivery to claim
    return reply
