"""`hokoku export`: write the round's 達成状況一覧 as XLSX (the handout, optionally also as
PDF through LibreOffice) or CSV; the format follows the file extension."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.common import console, fail, runtime, user_errors, words
from bot.cli.sessions import reading
from bot.cli.summary import LangOption
from bot.cli.texts import H
from bot.export_pdf import convert_to_pdf
from handlers.export.document import export_document
from handlers.export.table import check_label
from handlers.export.table_csv import write_csv
from handlers.export.table_xlsx import write_xlsx
from handlers.reporting.rounds import round_caption

FORMATS = (".xlsx", ".csv")


def export_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help=H("cli.export.export.output"), dir_okay=False),
    ],
    round_ref: Annotated[
        str | None,
        typer.Option("--round", help=H("cli.export.export.round_ref")),
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help=H("cli.export.export.label"))] = None,
    previous: Annotated[
        bool, typer.Option("--previous", help=H("cli.export.export.previous"))
    ] = False,
    pdf: Annotated[
        bool,
        typer.Option("--pdf", help=H("cli.export.export.pdf")),
    ] = False,
    evaluation: Annotated[
        bool | None,
        typer.Option(
            "--evaluation/--no-evaluation",
            help=H("cli.export.export.evaluation"),
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Write the results table 達成状況一覧: XLSX is the printable handout (with the summary,
    indicator and committee evaluation sheets), CSV the table data; its words in `--lang`,
    else HOKOKU_LANGUAGE."""
    t = words()
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        fail(t("cli.export.format_unknown", name=output.name))
    if suffix != ".xlsx" and (label or pdf):
        fail(t("cli.export.xlsx_only"))
    rt = runtime(ctx)
    with reading(rt, round_ref) as work:
        label = check_label(label)
        rnd = work.round
        caption = round_caption(rnd)
        document = export_document(
            work.session,
            round_id=rnd.id,
            today=rt.today(),
            previous=previous,
            evaluation=evaluation,
            language=lang or t.language,
            sheets=suffix == ".xlsx",
        )
    table = document.table
    # Write beside the target and rename, so a failed export never leaves half a file.
    partial = output.with_name(f".{output.name}.partial")
    try:
        if suffix == ".xlsx":
            handout = write_xlsx(table, partial, label=label, committee=document.committee)
            names = [table.words.document, *(sheet.name for sheet in handout.sheets)]
            pages = t.plural(
                "cli.export.pages", handout.total_pages, sheets=t("list.dot").join(names)
            )
        else:
            write_csv(table, partial)
            pages = ""
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(t("cli.export.write_failed", path=str(output), error=exc.strerror or str(exc)))
    pending = sum(1 for row in table.rows if not row.answered)
    console.print(
        t(
            "cli.export.written",
            caption=t.render(caption),
            title=table.title,
            path=str(output),
            rows=len(table.rows),
            pending=pending,
            pages=pages,
        ),
        highlight=False,
        markup=False,
    )
    if suffix == ".xlsx" and handout.oversize:
        numbers = tuple(str(n) for n in handout.oversize)
        warning = t("cli.export.items_oversize", items=numbers)
        console.print(f"[yellow]{escape(warning)}[/]", highlight=False)
    for sheet in handout.sheets if suffix == ".xlsx" else ():
        if sheet.oversize:
            warning = t("cli.export.sheet_oversize", sheet=sheet.name)
            console.print(f"[yellow]{escape(warning)}[/]", highlight=False)
    if pdf:
        with user_errors():
            written = t("cli.export.pdf_written", path=str(convert_to_pdf(output)))
            console.print(written, highlight=False, markup=False)
