"""What every entry point needs: settings, an up-to-date database and the organization."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.organization.directory import get_or_create_organization
from models.db import ensure_schema, make_engine, make_session_factory, transaction

MEMO_KEPT = 10_000


def today_in(timezone: str) -> date:
    """Today in the office's time zone (HOKOKU_TIMEZONE), not the server's."""
    return datetime.now(ZoneInfo(timezone)).date()


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    organization_id: int
    # What adapters remember per process about the outside world, by name (a DM's channel
    # id, whose name was found fresh): facts that do not change, or whose worst case when
    # stale is one more lookup; never what the database decides.
    memo: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    def memo_of(self, name: str) -> dict[str, Any]:
        """One named memo (kept under 10,000 entries: cleared when full)."""
        found = self.memo.setdefault(name, {})
        if len(found) >= MEMO_KEPT:
            found.clear()
        return found

    @cached_property
    def reader(self) -> sessionmaker[Session]:
        """Sessions for work that only reads (status, lists, forms): on SQLite they begin
        DEFERRED, so they never wait for, or hold up, the one writer."""
        return make_session_factory(self.engine, read_only=True)

    def today(self) -> date:
        return today_in(self.settings.timezone)

    def close(self) -> None:
        self.engine.dispose()


def open_runtime(settings: Settings, *, migrate: bool = True, serving: bool = False) -> Runtime:
    """Connect, bring the schema up to date (first use), and find the organization.

    `serving`: the pool of `hokoku serve` gives up waiting for a connection quickly (503).
    """
    engine = make_engine(settings.database_url, settings.pool(serving=serving))
    if migrate:
        ensure_schema(engine)
    factory = make_session_factory(engine)
    try:
        with transaction(factory) as session:
            org_id = get_or_create_organization(session, name=settings.organization).id
    except IntegrityError:
        # Replicas starting together on a new database: another one created it just now.
        with transaction(factory) as session:
            org_id = get_or_create_organization(session, name=settings.organization).id
    return Runtime(settings=settings, engine=engine, factory=factory, organization_id=org_id)
