"""Statements per batch: a department's request is built once, however many targets it has.

Counted with a `before_cursor_execute` listener, so the property costs no timing: building
the messages of a claimed batch, and delivering it, take the same number of statements
for 2 targets as for 40, in one department or in forty.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete

from handlers.ports import RoundRequest
from models import Base
from models.db import transaction
from scheduler import dispatch
from scheduler.calendar import BusinessCalendar
from scheduler.dispatch import deliver_due
from scheduler.outbox import claim, load_claimed
from scheduler.runner import tick
from tests.conftest import Db
from tests.factories import build_plan, open_test_round
from tests.scheduler.doubles import RecordingMessenger, jst, link
from tests.statements import counting

CAL = BusinessCalendar()
NOW = jst(date(2024, 4, 1))


def fan_out(db: Db, *, departments: int, targets: int) -> None:
    """A round whose departments (two items each) have `targets` LINE users in all; enqueued."""
    names = [f"課{n:02d}" for n in range(departments)]
    with transaction(db.factory) as s:
        plan = build_plan(s, items=[(f"事業{n}", names) for n in range(2)])
        open_test_round(s, plan)
        for n in range(targets):
            link(s, names[n % departments], platform="line", external_id=f"U{n:03d}")
    tick(db.factory, {"line": RecordingMessenger("line")}, NOW, calendar=CAL, deliver=False)


def build_statements(db: Db) -> tuple[int, list[RoundRequest]]:
    """Statements to build the messages of one claimed batch holding every row."""
    token, ids = claim(db.factory, worker="count", now=NOW, platforms=["line"])
    with transaction(db.factory) as s, counting(db.engine) as statements:
        items = load_claimed(s, token=token, ids=ids, configured={"line"})
    assert len(items) == len(ids)
    return len(statements), [i.message for i in items if isinstance(i.message, RoundRequest)]


def test_building_a_batch_costs_the_same_statements_for_2_or_40_targets_of_a_department(
    db: Db,
) -> None:
    fan_out(db, departments=1, targets=2)
    few, requests = build_statements(db)
    assert len(requests) == 2 and requests[0] is requests[1]  # built once, shared
    assert [p.number for p in requests[0].pending] == [1, 2]
    db_reset(db)
    fan_out(db, departments=1, targets=40)
    many, requests = build_statements(db)
    assert len(requests) == 40 and len({id(r) for r in requests}) == 1
    assert many == few


def test_building_a_batch_costs_the_same_statements_for_2_or_40_departments(db: Db) -> None:
    fan_out(db, departments=2, targets=2)
    few, _ = build_statements(db)
    db_reset(db)
    fan_out(db, departments=40, targets=40)
    many, requests = build_statements(db)
    assert len({r.department_name for r in requests}) == 40
    assert many == few


def test_delivering_a_batch_costs_the_same_statements_for_2_or_40_targets(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outcomes are then recorded once all sends are back, not also after a lapse of time.
    monkeypatch.setattr(dispatch, "FLUSH_SECONDS", 3600.0)
    counts = []
    for targets in (2, 40):
        db_reset(db)
        fan_out(db, departments=targets // 2, targets=targets)
        line = RecordingMessenger("line")
        with counting(db.engine) as statements:
            stats = deliver_due(db.factory, {"line": line}, worker="w", now=NOW, workers=64)
        assert stats.sent == targets and len(line.sent) == targets
        counts.append(len(statements))
    assert counts[0] == counts[1]


def db_reset(db: Db) -> None:
    """Empty the tables between the two sizes of one test (the fixture does it afterwards)."""
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
