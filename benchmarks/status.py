"""Status benchmark: `summarize` of one 1,000-slot round while the database grows to 1M reports.

    .venv/bin/python benchmarks/status.py [--database-url URL] [--steps 10000,100000,1000000]

Builds the measured round (1,000 item × department slots, answered), then fills the same
organization with other plans and rounds until the whole `reports` table holds each step's
number of rows (more plans, items, plan nodes and assignments too), and times
`handlers.reporting.status.summarize` for the measured round at every step (median of 20 runs). The
figure should stay flat: every statement is driven by the round's own rows through indexes.
At the last step it prints the query plan of every statement `summarize` ran (EXPLAIN QUERY
PLAN on SQLite, EXPLAIN on PostgreSQL). Not a test: nothing here asserts speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, Engine, event, func, select, text
from sqlalchemy.orm import Session
from synthetic import build_round

from handlers.reporting.status import summarize
from models import Report
from models.db import make_engine, make_session_factory, transaction, upgrade

console = Console()
FILLER_SLOTS = 10_000
RUNS = 20


def _fill(engine: Engine, *, target_rows: int, stamp: str) -> int:
    """Add plans with rounds until `reports` holds about `target_rows` rows; returns the count."""
    factory = make_session_factory(engine)
    with factory() as session:
        have = session.scalar(select(func.count(Report.id))) or 0
    plan = 0
    while have < target_rows:
        missing = target_rows - have
        slots = min(FILLER_SLOTS, missing)
        rounds = max(1, min(10, missing // slots))
        with transaction(factory) as session:
            build_round(
                session,
                slots=slots,
                rounds=rounds,
                name=f"filler-{stamp}-{have}-{plan}",
                organization="benchmark",
            )
        have += slots * rounds
        plan += 1
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return have


def _timed(session: Session, round_id: int) -> tuple[float, list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(_conn: Connection, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    summarize(session, round_id=round_id, today=date(2024, 6, 1))  # warm the caches
    times = []
    for _ in range(RUNS):
        session.expire_all()
        start = time.perf_counter()
        summarize(session, round_id=round_id, today=date(2024, 6, 1))
        times.append(time.perf_counter() - start)
    conn = session.connection()
    event.listen(conn, "before_cursor_execute", record)
    session.expire_all()
    summarize(session, round_id=round_id, today=date(2024, 6, 1))
    event.remove(conn, "before_cursor_execute", record)
    return statistics.median(times), statements


def _explain(session: Session, statements: list[tuple[str, Any]]) -> None:
    sqlite = session.get_bind().dialect.name == "sqlite"
    raw = session.connection().connection.driver_connection
    assert raw is not None
    for statement, params in statements:
        console.rule(statement.split("\n", 1)[0][:90])
        console.print(statement, highlight=False, markup=False)
        cursor = raw.cursor()
        cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, params)
        for row in cursor.fetchall():
            console.print(
                ("  " + " ".join(str(v) for v in row[-1:])), highlight=False, markup=False
            )
        cursor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--steps", default="10000,100000,1000000", help="total report rows")
    args = parser.parse_args()
    steps = [int(n) for n in args.steps.split(",")]
    stamp = time.strftime("%H%M%S")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            measured = build_round(
                session, slots=1000, name=f"measured-{stamp}", organization="benchmark"
            )
        results = Table(title=f"status of a 1,000-slot round ({engine.dialect.name})")
        for column in ("report rows", "statements", "median ms"):
            results.add_column(column, justify="right")
        statements: list[tuple[str, Any]] = []
        for step in steps:
            rows = _fill(engine, target_rows=step, stamp=stamp)
            with factory() as session:
                seconds, statements = _timed(session, measured.round_id)
            results.add_row(f"{rows:,}", str(len(statements)), f"{seconds * 1000:.1f}")
            console.print(f"{rows:,} report rows: {seconds * 1000:.1f} ms", highlight=False)
        console.print(results)
        load = os.getloadavg()
        console.print(
            f"{os.cpu_count()} CPUs, load average {load[0]:.2f} (1 min) {load[1]:.2f} (5 min)"
        )
        with factory() as session:
            _explain(session, statements)
        engine.dispose()


if __name__ == "__main__":
    main()
