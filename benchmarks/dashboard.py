"""Dashboard benchmark: the web console's dashboard for the Nishitokyo round (206 slots) and a
10,000-slot round while the database grows.

    .venv/bin/python benchmarks/dashboard.py [--database-url URL] [--steps 20000,100000,1000000]

Builds two measured rounds, each with last year's round beside it (the dashboard compares
the two): the Nishitokyo sample plan (bot/samples/nishitokyo_plan.csv, 111 items, 206 slots)
and a synthetic 10,000-slot plan; then fills the organization with other plans and rounds
until `reports` holds each step's number of rows, and at every step times, signed in as the
office through a real sign-in link, the whole request of the real app (in-process, Starlette's
TestClient: routing, session lookup, the queries, Jinja2):

- `GET /web/?round=R`: the dashboard page (progress by goal and department, last year
  beside this year, indicators);
- `GET /web/live?round=R&stamp=S` with the current stamp: the poll each open dashboard
  sends every few seconds, answered 204 while nothing changed.

Median of RUNS requests each. The figures should stay flat in the database's size: every
statement is driven by the round's own rows through indexes (as `benchmarks/status.py`
shows for `summarize`). Chart images are separate requests, drawn once per change of the
answers and cached. Not a test: nothing here asserts speed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from synthetic import answer_all, build_round

from bot.runtime import open_runtime
from bot.server import Platforms, build_app
from bot.settings import Settings
from handlers.organization.directory import get_or_create_department
from handlers.organization.web_access import create_link
from handlers.plan.table_import import import_plan
from handlers.reporting.rounds import close_round, open_round
from models import ROLE_OFFICE, Plan, Report, Round, utcnow
from models.db import transaction

console = Console()
RUNS = 30
SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "samples" / "nishitokyo_plan.csv"
ORGANIZATION = "benchmark"


def _nishitokyo(factory: sessionmaker[Session], organization_id: int) -> int:
    """The sample plan with last year's round answered and closed, this year's answered."""
    with transaction(factory) as session:
        result = import_plan(session, organization_id=organization_id, path=SAMPLE)
        plan = session.get_one(Plan, result.plan_id)
        last = open_round(
            session,
            plan=plan,
            fiscal_year=2023,
            deadline=date(2024, 5, 31),
            opens_on=date(2024, 4, 1),
        )
        answer_all(session, round_id=last.id, seed=1)
        close_round(session, rnd=session.get_one(Round, last.id))
        this = open_round(
            session,
            plan=plan,
            fiscal_year=2024,
            deadline=date(2025, 5, 31),
            opens_on=date(2025, 4, 1),
        )
        answer_all(session, round_id=this.id, seed=2)
        return this.id


def _fill(factory: sessionmaker[Session], *, target_rows: int, stamp: str) -> int:
    with factory() as session:
        have = session.scalar(select(func.count(Report.id))) or 0
    plan = 0
    while have < target_rows:
        missing = target_rows - have
        slots = min(10_000, missing)
        rounds = max(1, min(10, missing // slots))
        with transaction(factory) as session:
            build_round(
                session,
                slots=slots,
                rounds=rounds,
                name=f"filler-{stamp}-{have}-{plan}",
                organization=ORGANIZATION,
            )
        have += slots * rounds
        plan += 1
    return have


def _median_ms(client: TestClient, path: str, expect: int) -> float:
    assert client.get(path).status_code == expect  # warm
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == expect, (path, response.status_code)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--steps", default="20000,100000,1000000", help="total report rows")
    args = parser.parse_args()
    steps = [int(n) for n in args.steps.split(",")]
    stamp = time.strftime("%H%M%S")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(
            database_url=url, organization=ORGANIZATION, public_url="http://localhost:3000"
        )
        runtime = open_runtime(settings)
        factory = runtime.factory
        measured = {"Nishitokyo (206 slots)": _nishitokyo(factory, runtime.organization_id)}
        with transaction(factory) as session:
            big = build_round(
                session, slots=10_000, rounds=2, name=f"measured-{stamp}", organization=ORGANIZATION
            )
        measured["synthetic (10,000 slots)"] = big.round_id
        with transaction(factory) as session:
            office = get_or_create_department(
                session, organization_id=runtime.organization_id, name="男女平等推進センター"
            )
            link = create_link(
                session,
                department=office,
                role=ROLE_OFFICE,
                person="benchmark",
                created_by="benchmark",
                now=utcnow(),
            )
        app = build_app(settings, runtime, platforms=Platforms())
        results = Table(title=f"web console dashboard, server time ({runtime.engine.dialect.name})")
        for column in ("report rows", "round", "slots", "page ms", "poll (204) ms"):
            results.add_column(column, justify="right")
        with TestClient(app) as client:
            page = client.get(link.path)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf is not None
            signed = client.post(
                "/web/signin",
                data={"csrf_token": csrf.group(1), "token": link.token},
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            for step in steps:
                rows = _fill(factory, target_rows=step, stamp=stamp)
                with runtime.engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
                for name, round_id in measured.items():
                    stamp_now = client.get(f"/web/stamp?round={round_id}").json()["stamp"]
                    page_ms = _median_ms(client, f"/web/?round={round_id}", 200)
                    poll_ms = _median_ms(
                        client, f"/web/live?round={round_id}&stamp={stamp_now}", 204
                    )
                    slots = 206 if name.startswith("Nishitokyo") else 10_000
                    results.add_row(
                        f"{rows:,}", name, f"{slots:,}", f"{page_ms:.1f}", f"{poll_ms:.1f}"
                    )
                    console.print(
                        f"{rows:,} report rows, {name}: page {page_ms:.1f} ms, poll {poll_ms:.1f} ms",
                        highlight=False,
                    )
        console.print(results)
        load = os.getloadavg()
        console.print(
            f"{os.cpu_count()} CPUs, load average {load[0]:.2f} (1 min) {load[1]:.2f} (5 min)"
        )
        runtime.close()


if __name__ == "__main__":
    main()
