"""Every chat's way in: one intent, one transaction, acknowledged only once committed.

Slack's listeners, the LINE webhook and the console say who acts (an `Actor`) and what
they ask (an intent), and call `run`. It claims the delivery (the platform's event id: a
redelivery is recognised and gets None) and handles the intent in one transaction that is
committed before it returns; only then does the adapter acknowledge the platform. A busy
database is tried again, ATTEMPTS times in all (`models.db.run_transaction`); still busy,
or out of reach, `run` raises one of UNAVAILABLE and the adapter answers with a retryable
503 (RETRY_AFTER), so the platform delivers again and nothing is lost or stored twice.
"Today" is the runtime's (HOKOKU_TIMEZONE), whichever chat asks.

`show` is for read-only work (a form to open, the Home tab): it runs on the reader, which
never waits for the one SQLite writer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from handlers.interaction import Actor, Inbound, Reply, handle
from handlers.interaction.intents import Intent
from models import utcnow
from models.db import DatabaseBusy, DatabaseUnavailable, run_transaction, transaction

# Tried twice before the platform is told to retry: with the server's short SQLite busy
# wait this stays inside Slack's 3-second answer window.
ATTEMPTS = 2
# What `run` raises when the delivery could not be stored now; the platform gets a 503
# with RETRY_AFTER and delivers again.
UNAVAILABLE = (DatabaseBusy, DatabaseUnavailable)
RETRY_AFTER = {"Retry-After": "1"}


def inbound(
    runtime: Runtime, who: Actor, intent: Intent, *, delivery: str | None = None
) -> Inbound:
    """The intent as the interaction layer takes it, stamped now and with the office's today."""
    return Inbound(who, intent, now=utcnow(), today=runtime.today(), delivery=delivery)


def run(
    runtime: Runtime, who: Actor, intent: Intent, *, delivery: str | None = None
) -> Reply | None:
    """Handle one intent and commit; None when this delivery was already handled."""
    request = inbound(runtime, who, intent, delivery=delivery)

    def work(session: Session) -> Reply | None:
        return handle(session, request)

    return run_transaction(runtime.factory, work, attempts=ATTEMPTS)


def show(runtime: Runtime, who: Actor, intent: Intent) -> Reply:
    """Read-only work on the reader; nothing to claim, nothing to commit."""
    with transaction(runtime.reader) as session:
        reply = handle(session, inbound(runtime, who, intent))
    assert reply is not None  # no delivery to claim
    return reply
