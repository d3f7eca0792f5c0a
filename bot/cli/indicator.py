"""`hokoku indicator`: the plan's indicators (指標・目標値): import, list with progress, set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, print_json, runtime, words
from bot.cli.options import os_user
from bot.cli.sessions import reading, writing
from bot.cli.texts import H
from handlers.committee.indicator_values import format_value
from handlers.committee.indicators import (
    IndicatorStatus,
    import_indicators,
    indicator_status,
    report_indicator_value,
)
from handlers.i18n import Translator
from handlers.organization.directory import find_department, resolve_plan
from handlers.reporting.reports import REVISED, STORED
from handlers.reporting.rounds import ANSWER

app = typer.Typer(help=H("cli.indicator.app"), no_args_is_help=True)

CHANNEL = "office"

RoundOption = Annotated[str | None, typer.Option("--round", "-r", help=H("cli.indicator.round"))]
JsonOption = Annotated[bool, typer.Option("--json", help=H("cli.indicator.json"))]


@app.command("import", help=H("cli.indicator.import"))
def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=H("cli.indicator.import.file"))],
    plan: Annotated[str, typer.Option("--plan", "-p", help=H("cli.indicator.import.plan"))],
    sheet: Annotated[
        str | None, typer.Option("--sheet", help=H("cli.indicator.import.sheet"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import the plan's indicator table; re-importing updates by number and keeps values."""
    rt = runtime(ctx)
    with writing(rt) as work:
        target = resolve_plan(work.session, organization_id=rt.organization_id, ref=plan)
        result = import_indicators(work.session, plan_id=target.id, path=file, sheet=sheet)
    if as_json:
        print_json(
            {
                "plan": result.plan_id,
                "indicators": result.indicators,
                "added": result.added,
                "updated": result.updated,
                "removed": result.removed,
            }
        )
        return
    console.print(
        escape(
            words()(
                "cli.indicator.imported",
                plan=result.plan_name,
                count=result.indicators,
                added=result.added,
                updated=result.updated,
                removed=result.removed,
            )
        ),
        highlight=False,
    )


@app.command("list", help=H("cli.indicator.list"))
def list_cmd(
    ctx: typer.Context, round_ref: RoundOption = None, as_json: JsonOption = False
) -> None:
    """Indicators with this round's value, progress toward the target and on-track."""
    rt = runtime(ctx)
    with reading(rt, round_ref) as work:
        rows = indicator_status(work.session, round_id=work.round.id)
        round_id, year = work.round.id, work.round.fiscal_year
    if as_json:
        print_json({"round": round_id, "indicators": [row.to_json() for row in rows]})
        return
    t = words()
    if not rows:
        console.print(escape(t("cli.indicator.none")))
        return
    title = t("cli.indicator.title", round=round_id, year=year)
    console.print(indicator_table(t, rows, title=title))


COLUMNS = ("number", "name", "baseline", "target", "value", "progress", "track", "owner")


def indicator_table(t: Translator, rows: Sequence[IndicatorStatus], *, title: str) -> Table:
    """Baseline, target, this round's value, progress and on-track per indicator (also shown
    by `hokoku status`)."""
    table = Table(title=title, title_justify="left")
    for column in COLUMNS:
        table.add_column(
            t(f"cli.indicator.column.{column}"),
            justify="right" if column in {"number", "progress"} else "left",
        )
    for row in rows:
        base = (
            t(
                "cli.indicator.with_year",
                value=format_value(row.baseline_value, row.unit),
                year=row.baseline_year or "—",
            )
            if row.baseline_value is not None
            else "—"
        )
        track = (
            Text("—")
            if row.on_track is None
            else Text(
                t("cli.indicator.on_track", expected=format_value(row.expected, row.unit)),
                style="green",
            )
            if row.on_track
            else Text(
                t("cli.indicator.behind", expected=format_value(row.expected, row.unit)),
                style="red",
            )
        )
        table.add_row(
            row.number,
            Text(row.name),
            base,
            t(
                "cli.indicator.with_year",
                value=format_value(row.target_value, row.unit),
                year=row.target_year or "—",
            ),
            format_value(row.value, row.unit),
            f"{row.progress:g}%" if row.progress is not None else "—",
            track,
            Text(row.department_name or t("cli.office")),
        )
    return table


@app.command("set", help=H("cli.indicator.set"))
def set_cmd(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help=H("cli.indicator.set.number"))],
    value: Annotated[str, typer.Argument(help=H("cli.indicator.set.value"))],
    round_ref: RoundOption = None,
    dept: Annotated[str | None, typer.Option("--dept", help=H("cli.indicator.set.dept"))] = None,
    as_json: JsonOption = False,
) -> None:
    """Enter an indicator value for the round (as the office, or for its department)."""
    rt = runtime(ctx)
    with writing(rt, round_ref, purpose=ANSWER) as work:
        department_id = (
            find_department(work.session, organization_id=rt.organization_id, name=dept).id
            if dept is not None
            else None
        )
        outcome = report_indicator_value(
            work.session,
            round_id=work.round.id,
            department_id=department_id,
            number=number,
            value=value,
            reporter=f"cli:{os_user()}",
            channel=CHANNEL,
        )
    if as_json:
        print_json(
            {
                "status": outcome.status,
                "number": outcome.number,
                "value": outcome.value,
                "revision": outcome.revision,
            }
        )
        return
    said = {STORED: "cli.indicator.stored", REVISED: "cli.indicator.revised"}.get(
        outcome.status, "cli.indicator.unchanged"
    )
    console.print(
        words()(
            said,
            number=outcome.number,
            name=outcome.name,
            value=outcome.display,
            revision=outcome.revision,
        ),
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
