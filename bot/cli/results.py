"""`hokoku round import-results`: last year's 達成状況一覧 as a closed round (shown as 前年)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import console, print_json, runtime, user_errors
from bot.cli.options import os_user
from bot.cli.texts import H
from handlers.committee.results_import import import_results
from handlers.i18n import FiscalYear, translator
from handlers.organization.directory import resolve_plan
from handlers.scale import GradeScale
from models.db import transaction


def import_results_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=H("cli.results.import_results.file"))],
    plan: Annotated[str, typer.Option("--plan", "-p", help=H("cli.results.import_results.plan"))],
    year: Annotated[int, typer.Option("--year", "-y", help=H("cli.results.import_results.year"))],
    scale: Annotated[
        str | None, typer.Option("--scale", help=H("cli.results.import_results.scale"))
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help=H("cli.results.import_results.sheet"))
    ] = None,
    grade_column: Annotated[
        str | None,
        typer.Option("--grade-column", help=H("cli.results.import_results.grade_column")),
    ] = None,
    comment_column: Annotated[
        str | None,
        typer.Option("--comment-column", help=H("cli.results.import_results.comment_column")),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=H("cli.results.import_results.as_json"))
    ] = False,
) -> None:
    """Load a past results table as a closed round of the plan (all or nothing)."""
    rt = runtime(ctx)
    with user_errors():
        grade_scale = GradeScale.parse(scale) if scale else None
        with transaction(rt.factory) as session:
            target = resolve_plan(session, organization_id=rt.organization_id, ref=plan)
            result = import_results(
                session,
                organization_id=rt.organization_id,
                plan_id=target.id,
                path=file,
                fiscal_year=year,
                reporter=f"import:{os_user()}:{file.name}"[:200],
                scale=grade_scale,
                sheet=sheet,
                grade_column=grade_column,
                comment_column=comment_column,
            )
    if as_json:
        print_json(
            {
                "round": result.round_id,
                "label": result.label,
                "plan": result.plan_name,
                "slots": result.slots,
                "answered": result.answered,
                "comments": result.comments,
                "grade_column": result.grade_column,
                "comment_column": result.comment_column or None,
            }
        )
        return
    t = translator(rt.settings.language)
    for line in (
        t(
            "results_import.done",
            year=FiscalYear(result.fiscal_year),
            round=result.round_id,
            plan=result.plan_name,
            answered=result.answered,
            slots=result.slots,
            comments=result.comments,
        ),
        t(
            "results_import.columns",
            grade=result.grade_column,
            comment=result.comment_column or t("plan_import.none"),
        ),
    ):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
