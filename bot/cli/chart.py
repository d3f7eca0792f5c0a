"""`hokoku chart`: a PNG chart of the round for the committee's handout."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import console, fail, runtime, user_errors
from handlers.charts import KINDS, render_chart
from handlers.plan_settings import parse_good_grades
from handlers.rounds import VIEW, resolve_round


def chart_cmd(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help="completion（担当課別の回答状況）/ grades（目標別の達成度）/ yoy（前年度比較）",
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="出力ファイル（.png）", dir_okay=False)
    ],
    round_ref: Annotated[
        str | None, typer.Option("--round", help="回の番号（省略時は受付中の最新の回）")
    ] = None,
    good: Annotated[
        str | None, typer.Option("--good", help="よい評価とする達成度（例: A,B）")
    ] = None,
) -> None:
    """回のグラフを PNG で書き出す（日本語フォント同梱、表示環境は不要）。

    Write a chart of the round as PNG: completion, grades per goal, or year over year."""
    if output.suffix.lower() != ".png":
        fail(f"出力ファイル「{output.name}」は .png にしてください（例: -o 回答状況.png）。")
    if kind not in KINDS:
        fail(f"--kind は {' / '.join(KINDS)} のどれかです（「{kind}」は使えません）。")
    rt = runtime(ctx)
    with user_errors(), rt.factory() as session:
        rnd = resolve_round(
            session, organization_id=rt.organization_id, ref=round_ref, purpose=VIEW
        )
        png = render_chart(
            session,
            round_id=rnd.id,
            kind=kind,
            today=rt.today(),
            good=list(parse_good_grades(good)) if good else None,
        )
    partial = output.with_name(f".{output.name}.partial")
    try:
        partial.write_bytes(png)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"{output} に書き出せません: {exc.strerror or exc}")
    console.print(f"グラフを書き出しました: {output}（{len(png):,} バイト）", highlight=False)
