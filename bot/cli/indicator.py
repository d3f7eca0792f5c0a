"""`hokoku indicator`: the plan's indicators (指標・目標値): import, list with progress, set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, print_json, runtime
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
        f"計画「{result.plan_name}」の指標 {result.indicators}件を取り込みました"
        f"（追加 {result.added}、更新 {result.updated}、削除 {result.removed}）。",
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
    if not rows:
        console.print(
            "指標はまだありません。hokoku indicator import FILE --plan P で取り込めます。"
        )
        return
    console.print(indicator_table(rows, title=f"指標（回 {round_id}、{year}年度）"))


def indicator_table(rows: Sequence[IndicatorStatus], *, title: str) -> Table:
    """Baseline, target, this round's value, progress and on-track per indicator (also shown
    by `hokoku status`)."""
    table = Table(title=title, title_justify="left")
    for header in ("番号", "指標", "基準", "目標", "今回", "進捗", "見込み", "所管"):
        table.add_column(header, justify="right" if header in {"番号", "進捗"} else "left")
    for row in rows:
        base = (
            f"{format_value(row.baseline_value, row.unit)}（{row.baseline_year or '—'}）"
            if row.baseline_value is not None
            else "—"
        )
        track = (
            Text("—")
            if row.on_track is None
            else Text(f"順調（目安 {format_value(row.expected, row.unit)}）", style="green")
            if row.on_track
            else Text(f"遅れ（目安 {format_value(row.expected, row.unit)}）", style="red")
        )
        table.add_row(
            row.number,
            Text(row.name),
            base,
            f"{format_value(row.target_value, row.unit)}（{row.target_year or '—'}）",
            format_value(row.value, row.unit),
            f"{row.progress:g}%" if row.progress is not None else "—",
            track,
            Text(row.department_name or "事務局"),
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
    said = {STORED: "記録しました", REVISED: f"修正しました（第{outcome.revision}版）"}.get(
        outcome.status, "変更はありません"
    )
    console.print(
        f"指標 {outcome.number}「{outcome.name}」: {outcome.display} を{said}"
        if outcome.status in {STORED, REVISED}
        else f"指標 {outcome.number}「{outcome.name}」: {outcome.display}（{said}）",
        highlight=False,
        soft_wrap=True,
    )
