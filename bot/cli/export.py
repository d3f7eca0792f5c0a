"""`hokoku export`: write the round's 達成状況一覧 as XLSX (the handout, optionally also as
PDF through LibreOffice) or CSV; the format follows the file extension."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import console, fail, runtime, user_errors
from bot.cli.sessions import reading
from bot.cli.summary import LangOption
from bot.cli.texts import H
from bot.export_pdf import convert_to_pdf
from handlers.export.document import export_document
from handlers.export.table import check_label
from handlers.export.table_csv import write_csv
from handlers.export.table_xlsx import SHEET_TITLE, write_xlsx
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
    lang: LangOption = "ja",
) -> None:
    """Write the results table 達成状況一覧: XLSX is the printable handout (with the summary,
    indicator and committee evaluation sheets), CSV the table data."""
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        fail(
            f"出力ファイル「{output.name}」の形式がわかりません。"
            "拡張子を .xlsx か .csv にしてください（例: -o 達成状況一覧.xlsx）。"
        )
    if suffix != ".xlsx" and (label or pdf or lang != "ja"):
        fail(
            "--label・--pdf・--lang は XLSX の出力にだけ使えます（例: -o 達成状況一覧.xlsx --pdf）。"
        )
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
            language=lang,
            sheets=suffix == ".xlsx",
        )
    table = document.table
    # Write beside the target and rename, so a failed export never leaves half a file.
    partial = output.with_name(f".{output.name}.partial")
    try:
        if suffix == ".xlsx":
            handout = write_xlsx(table, partial, label=label, committee=document.committee)
            sheets = "・".join([SHEET_TITLE, *(sheet.name for sheet in handout.sheets)])
            pages = f"、A4横 {handout.total_pages}ページ: {sheets}"
        else:
            write_csv(table, partial)
            pages = ""
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(
            f"{output} に書き出せません: {exc.strerror or exc}（フォルダと書き込み権限を確認してください）"
        )
    pending = sum(1 for row in table.rows if not row.answered)
    console.print(
        f"{caption} の{table.title} を書き出しました: {output}"
        f"（{len(table.rows)}行、未回答 {pending}件{pages}）",
        highlight=False,
    )
    if suffix == ".xlsx" and handout.oversize:
        numbers = "、".join(str(n) for n in handout.oversize)
        console.print(
            f"[yellow]注意: 項目 {numbers} は1ページに収まりません（コメントを短くしてください）。[/]",
            highlight=False,
        )
    for sheet in handout.sheets if suffix == ".xlsx" else ():
        if sheet.oversize:
            console.print(
                f"[yellow]注意: シート「{sheet.name}」に1ページに収まらない行があります"
                "（評価コメント・提言を短くしてください）。[/]",
                highlight=False,
            )
    if pdf:
        with user_errors():
            console.print(f"PDF を書き出しました: {convert_to_pdf(output)}", highlight=False)
