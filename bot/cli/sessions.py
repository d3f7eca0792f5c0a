"""The transaction of a command, with the round it names: `reading(rt)` and `writing(rt)`.

A command that only looks (status, export, chart, lists, history, audit, schedules) runs in
`reading`: on SQLite its transaction begins DEFERRED and never takes the writer lock, so a
long export does not hold up the departments' answers arriving at `hokoku serve`. A
command that changes something runs in `writing`: the writer's transaction (on SQLite
`BEGIN IMMEDIATE`, queued for the one writer), committed when the block ends.

Both resolve the round the command names on first use of `work.round`: `--round N`, else
the default round for the purpose (VIEW: the latest open round, else the one closed last;
ANSWER: only an open round). A user error (no such round, department …) or a busy
database ends the command with one clear line (bot.cli.common.user_errors).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from bot.cli.common import user_errors
from bot.runtime import Runtime
from handlers.reporting.rounds import VIEW, resolve_round
from models import Round
from models.db import transaction


@dataclass
class Work:
    """One transaction of a command: its session, and the round it names (looked up once)."""

    session: Session
    organization_id: int
    round_ref: str | None
    purpose: str
    _round: Round | None = field(default=None, repr=False)

    @property
    def round(self) -> Round:
        if self._round is None:
            self._round = resolve_round(
                self.session,
                organization_id=self.organization_id,
                ref=self.round_ref,
                purpose=self.purpose,
            )
        return self._round


@contextmanager
def _work(
    rt: Runtime, factory: sessionmaker[Session], round_ref: str | None, purpose: str
) -> Iterator[Work]:
    with user_errors(), transaction(factory) as session:
        yield Work(session, rt.organization_id, round_ref, purpose)


def reading(
    rt: Runtime, round_ref: str | None = None, *, purpose: str = VIEW
) -> AbstractContextManager[Work]:
    """A read transaction that never takes SQLite's writer lock."""
    return _work(rt, rt.reader, round_ref, purpose)


def writing(
    rt: Runtime, round_ref: str | None = None, *, purpose: str = VIEW
) -> AbstractContextManager[Work]:
    """The writer's transaction, committed when the block ends (rolled back on an error)."""
    return _work(rt, rt.factory, round_ref, purpose)
