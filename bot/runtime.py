"""What every entry point needs: settings, an up-to-date database and the organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.organization.directory import get_or_create_organization
from models.db import ensure_schema, make_engine, make_session_factory, transaction


def today_in(timezone: str) -> date:
    """Today in the office's time zone (HOKOKU_TIMEZONE), not the server's."""
    return datetime.now(ZoneInfo(timezone)).date()


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    organization_id: int

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
