"""`hokoku chart`: a PNG chart of the round for the committee's handout."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import console, fail, runtime, words
from bot.cli.sessions import reading
from bot.cli.texts import H
from handlers.export.charts import KINDS, render_chart
from handlers.plan.settings import parse_good_grades


def chart_cmd(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help=H("cli.chart.chart.kind"),
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help=H("cli.chart.chart.output"), dir_okay=False)
    ],
    round_ref: Annotated[
        str | None, typer.Option("--round", help=H("cli.chart.chart.round_ref"))
    ] = None,
    good: Annotated[str | None, typer.Option("--good", help=H("cli.chart.chart.good"))] = None,
) -> None:
    """Write a chart of the round as PNG: completion, grades per goal, or year over year."""
    t = words()
    if output.suffix.lower() != ".png":
        fail(t("cli.chart.not_png", name=output.name))
    if kind not in KINDS:
        fail(t("cli.chart.kind_unknown", kinds=" / ".join(KINDS), kind=kind))
    rt = runtime(ctx)
    with reading(rt, round_ref) as work:
        png = render_chart(
            work.session,
            round_id=work.round.id,
            kind=kind,
            today=rt.today(),
            good=list(parse_good_grades(good)) if good else None,
            language=t.language,
        )
    partial = output.with_name(f".{output.name}.partial")
    try:
        partial.write_bytes(png)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(t("cli.chart.write_failed", path=str(output), error=exc.strerror or str(exc)))
    written = t("cli.chart.written", path=str(output), size=f"{len(png):,}")
    console.print(written, highlight=False, markup=False)
