"""`hokoku export`: write the round's 達成状況一覧 as XLSX or CSV (format by file extension)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import console, fail, runtime, user_errors
from handlers.export import ExportTable, build_table
from handlers.export_csv import write_csv
from handlers.export_xlsx import write_xlsx
from handlers.rounds import VIEW, resolve_round, round_caption

WRITERS: dict[str, Callable[[ExportTable, Path], None]] = {
    ".xlsx": write_xlsx,
    ".csv": write_csv,
}


def export_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="出力ファイル（.xlsx または .csv）", dir_okay=False),
    ],
    round_ref: Annotated[
        str | None,
        typer.Option("--round", help="回の番号（省略時: 受付中の回、なければ最後に締め切った回）"),
    ] = None,
) -> None:
    """達成状況一覧を XLSX（結合・書式・評価基準シート付き）または CSV に書き出す。"""
    writer = WRITERS.get(output.suffix.lower())
    if writer is None:
        fail(
            f"出力ファイル「{output.name}」の形式がわかりません。"
            "拡張子を .xlsx か .csv にしてください（例: -o 達成状況一覧.xlsx）。"
        )
    rt = runtime(ctx)
    with user_errors(), rt.factory() as session:
        rnd = resolve_round(
            session, organization_id=rt.organization_id, ref=round_ref, purpose=VIEW
        )
        caption = round_caption(rnd)
        table = build_table(session, round_id=rnd.id)
    # Write beside the target and rename, so a failed export never leaves half a file.
    partial = output.with_name(f".{output.name}.partial")
    try:
        writer(table, partial)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(
            f"{output} に書き出せません: {exc.strerror or exc}（フォルダと書き込み権限を確認してください）"
        )
    pending = sum(1 for row in table.rows if not row.answered)
    console.print(
        f"{caption} の{table.title} を書き出しました: {output}"
        f"（{len(table.rows)}行、未回答 {pending}件）",
        highlight=False,
    )
