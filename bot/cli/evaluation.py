"""`hokoku evaluation`: the committee's evaluation (二次評価) per 施策/課題: set, list, import."""

from __future__ import annotations

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
from handlers.committee.evaluations import (
    STORED,
    UNCHANGED,
    EvaluationRow,
    evaluation_sheet,
    import_evaluations,
    set_evaluation,
)
from handlers.plan.nodes import hierarchy_path

app = typer.Typer(help=H("cli.evaluation.app"), no_args_is_help=True)

RoundOption = Annotated[str | None, typer.Option("--round", "-r", help=H("cli.evaluation.round"))]
JsonOption = Annotated[bool, typer.Option("--json", help=H("cli.evaluation.json"))]


@app.command("set", help=H("cli.evaluation.set"))
def set_cmd(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument(help=H("cli.evaluation.set.node"))],
    grade: Annotated[str, typer.Option("--grade", "-g", help=H("cli.evaluation.set.grade"))],
    comment: Annotated[
        str | None, typer.Option("--comment", "-c", help=H("cli.evaluation.set.comment"))
    ] = None,
    proposal: Annotated[
        str | None, typer.Option("--proposal", help=H("cli.evaluation.set.proposal"))
    ] = None,
    round_ref: RoundOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the committee's grade, comment and proposal for one 施策/課題."""
    rt = runtime(ctx)
    with writing(rt, round_ref) as work:
        outcome = set_evaluation(
            work.session,
            round_id=work.round.id,
            node=node,
            grade=grade,
            comment=comment,
            proposal=proposal,
            evaluator=f"cli:{os_user()}",
        )
    if as_json:
        print_json(
            {
                "status": outcome.status,
                "node": outcome.node_label,
                "grade": outcome.grade,
                "comment": outcome.comment,
                "proposal": outcome.proposal,
            }
        )
        return
    t = words()
    said = {STORED: "cli.evaluation.stored", UNCHANGED: "cli.evaluation.unchanged"}.get(
        outcome.status, "cli.evaluation.updated"
    )
    line = t("cli.evaluation.said", node=outcome.node_label, grade=outcome.grade, said=t(said))
    console.print(line, highlight=False, soft_wrap=True, markup=False)


def _row_json(row: EvaluationRow) -> dict[str, object]:
    return {
        "node": hierarchy_path(row.path),
        "grade": row.grade,
        "comment": row.comment,
        "proposal": row.proposal,
        "items": row.items,
        "slots": row.slots,
        "answered": row.answered,
        "grades": row.grades,
    }


@app.command("list", help=H("cli.evaluation.list"))
def list_cmd(
    ctx: typer.Context, round_ref: RoundOption = None, as_json: JsonOption = False
) -> None:
    """Every 施策/課題 with the departments' grades and the committee's evaluation."""
    rt = runtime(ctx)
    with reading(rt, round_ref) as work:
        sheet = evaluation_sheet(work.session, round_id=work.round.id)
    if as_json:
        print_json(
            {
                "round": sheet.round_id,
                "level": sheet.level,
                "label": sheet.level_label,
                "scale": sheet.scale.letters,
                "rows": [_row_json(row) for row in sheet.rows],
                "orphans": [_row_json(row) for row in sheet.orphans],
            }
        )
        return
    t = words()
    if sheet.level is None:
        none = t("cli.evaluation.no_level", plan=sheet.plan_name)
        console.print(none, highlight=False, markup=False)
        return
    title = t(
        "cli.evaluation.title",
        year=t.fiscal_year(sheet.fiscal_year),
        level=sheet.level_label or "",
        plan=sheet.plan_name,
    )
    table = Table(title=escape(title), title_justify="left")
    table.add_column(sheet.level_label or "")
    for column in ("grades", "evaluation", "comment", "proposal"):
        table.add_column(t(f"cli.evaluation.column.{column}"))
    for row in [*sheet.rows, *sheet.orphans]:
        grades = " ".join(f"{k}{v}" for k, v in row.grades.items() if v)
        table.add_row(
            Text(row.display),
            t("cli.evaluation.grades_cell", grades=grades, answered=row.answered, slots=row.slots),
            row.grade or "—",
            Text(row.comment),
            Text(row.proposal),
        )
    console.print(table)


@app.command("import", help=H("cli.evaluation.import"))
def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=H("cli.evaluation.import.file"))],
    round_ref: RoundOption = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help=H("cli.evaluation.import.sheet"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import the committee's table: hierarchy columns, 評価, 評価コメント, 提言."""
    rt = runtime(ctx)
    with writing(rt, round_ref) as work:
        result = import_evaluations(
            work.session,
            round_id=work.round.id,
            path=file,
            evaluator=f"import:{os_user()}",
            sheet=sheet,
        )
    if as_json:
        print_json(
            {"stored": result.stored, "updated": result.updated, "unchanged": result.unchanged}
        )
        return
    imported = words()(
        "cli.evaluation.imported",
        stored=result.stored,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    console.print(imported, highlight=False, markup=False)
