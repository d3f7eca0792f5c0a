"""`hokoku demo`: a whole round on this machine with nothing but the install.

Imports a sample plan (shipped in bot/samples) into a fresh SQLite file, opens last fiscal
year's round and starts the console as a department, saying what to type.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from datetime import timedelta
from importlib.resources import as_file, files
from pathlib import Path
from typing import Annotated

import typer

from bot import console as chat
from bot.cli.common import console, fail, settings, user_errors, words
from bot.cli.options import os_user
from bot.cli.texts import H
from bot.runtime import Runtime, open_runtime
from bot.samples import CATALOGUE, Sample
from bot.settings import Settings
from handlers.fiscal import reported_fiscal_year
from handlers.normalize import fold_key
from handlers.organization.departments import department_overview
from handlers.plan.table_import import import_plan
from handlers.reporting.reports import department_slots
from handlers.reporting.rounds import RoundInfo, open_round
from models import Plan
from models.db import transaction

SAMPLES = {name: CATALOGUE[name] for name in ("tsurugashima", "kiyose")}
DEMO_DB = Path("hokoku-demo.db")
DEADLINE_DAYS = 28


@dataclass(frozen=True)
class DemoSetup:
    plan_name: str
    items: int
    departments: int
    assignments: int
    round: RoundInfo
    department: str
    first_item: int | None


def _hokoku_command() -> str:
    """How to call hokoku from here: `hokoku` when it is on PATH, else its path in the venv."""
    installed = Path(sys.executable).parent / "hokoku"
    found = shutil.which("hokoku")
    if found is not None and Path(found).resolve() == installed.resolve():
        return "hokoku"
    return os.path.relpath(installed)


def _fresh_database(path: Path) -> Settings:
    for stale in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal")):
        stale.unlink(missing_ok=True)
    return settings().model_copy(update={"database_url": f"sqlite:///{path.resolve()}"})


def _set_up(rt: Runtime, sample: Sample, dept: str | None) -> DemoSetup:
    today = rt.today()
    with transaction(rt.factory) as session, as_file(files("bot.samples") / sample.file) as src:
        result = import_plan(
            session, organization_id=rt.organization_id, path=Path(src), name=sample.plan_name
        )
        plan = session.get(Plan, result.plan_id)
        assert plan is not None
        info = open_round(
            session,
            plan=plan,
            fiscal_year=reported_fiscal_year(today),
            opens_on=today,
            deadline=today + timedelta(days=DEADLINE_DAYS),
        )
        overview = department_overview(session, organization_id=rt.organization_id, plan_id=plan.id)
        if dept is None:
            busiest = max(overview, key=lambda d: (d.items, -d.id))
            dept = busiest.name
        chosen = next((d for d in overview if fold_key(d.name) == fold_key(dept)), None)
        first = None
        if chosen is not None:
            slots = department_slots(session, round_id=info.id, department_id=chosen.id)
            first = slots[0].item_number if slots else None
    return DemoSetup(
        plan_name=result.name,
        items=result.items,
        departments=result.departments,
        assignments=result.assignments,
        round=info,
        department=dept,
        first_item=first,
    )


def demo_cmd(
    dept: Annotated[
        str | None,
        typer.Option("--dept", help=H("cli.demo.demo.dept")),
    ] = None,
    office: Annotated[bool, typer.Option("--office", help=H("cli.demo.demo.office"))] = False,
    sample: Annotated[
        str, typer.Option("--sample", help=H("cli.demo.demo.sample"))
    ] = "tsurugashima",
    db_file: Annotated[Path, typer.Option("--db", help=H("cli.demo.demo.db_file"))] = DEMO_DB,
) -> None:
    """Try hokoku: sample plan → round → chat in the terminal (nothing else needed)."""
    t = words()
    chosen = SAMPLES.get(sample)
    if chosen is None:
        fail(t("cli.samples.unknown", name=sample, names=" / ".join(SAMPLES)))
    settings = _fresh_database(db_file)
    rt = open_runtime(settings)
    try:
        with user_errors():
            setup = _set_up(rt, chosen, dept)
            session = chat.open_session(
                rt, reporter=os_user(), department=setup.department, office=office
            )
        rnd = setup.round
        example = setup.first_item if setup.first_item is not None else 1
        console.print(
            t(
                "cli.demo.intro",
                db=str(db_file.resolve()),
                plan=setup.plan_name,
                items=setup.items,
                departments=setup.departments,
                slots=setup.assignments,
                year=t.fiscal_year(rnd.fiscal_year),
                round=rnd.id,
                deadline=rnd.deadline.isoformat(),
                department=setup.department,
                office=t("cli.dept.office_mark") if office else "",
                example=example,
                hokoku=_hokoku_command(),
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        chat.run(rt, session)
    finally:
        rt.close()
