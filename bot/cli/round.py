"""`hokoku round`: open, list, show and close the yearly reporting round."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, print_json, runtime, user_errors
from bot.cli.options import parse_date
from bot.cli.remind import notify_round_now
from handlers.directory import resolve_plan
from handlers.fiscal import reiwa_label, reported_fiscal_year
from handlers.rounds import (
    RoundInfo,
    close_round,
    list_rounds,
    open_round,
    resolve_round,
    round_info,
)
from handlers.scale import DEFAULT_SCALE, GradeScale
from handlers.status import summarize
from models.db import transaction

app = typer.Typer(help="報告の回（年度ごと）を開く・一覧・締め切る", no_args_is_help=True)

RoundOption = Annotated[
    str | None, typer.Option("--round", "-r", help="回の番号（省略時: 受付中の最新の回）")
]
JsonOption = Annotated[bool, typer.Option("--json", help="結果を JSON で出力")]


def _round_json(info: RoundInfo, *, submitted: int | None = None) -> dict[str, object]:
    data: dict[str, object] = {
        "round": info.id,
        "label": info.label,
        "fiscal_year": info.fiscal_year,
        "plan": info.plan_name,
        "plan_id": info.plan_id,
        "opens_on": info.opens_on.isoformat(),
        "deadline": info.deadline.isoformat(),
        "scale": info.scale.to_json(),
        "slots": info.slots,
        "closed": info.closed,
    }
    if submitted is not None:
        data["submitted"] = submitted
    return data


@app.command("open")
def open_cmd(
    ctx: typer.Context,
    plan: Annotated[str, typer.Option("--plan", "-p", help="計画の名前または番号")],
    deadline: Annotated[
        str, typer.Option("--deadline", "-d", help="締切日（例: 2024-05-31、今日から +28d / +4w）")
    ],
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            "-y",
            help="報告する年度（西暦、例: 2023 = 令和5年度）。省略時: 受付開始日の前年度",
        ),
    ] = None,
    opens: Annotated[
        str | None, typer.Option("--opens", help="受付開始日（省略時: 今日、+7d なども可）")
    ] = None,
    scale: Annotated[
        str | None,
        typer.Option(
            "--scale",
            help="達成度の段階（例: A,B,C,D / 'A:計画以上:100%～,B:計画どおり:70～99%' / "
            "達成,概ね達成,未達成）。省略時: A〜D",
        ),
    ] = None,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify", help="開いてすぐ各担当課へ依頼を送る（hokoku round notify と同じ）"
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """年度の回を開く（項目×担当課ごとに回答枠を作る）。

    Open the round of one fiscal year: one open report slot per item × department."""
    rt = runtime(ctx)
    with user_errors():
        today = rt.today()
        due = parse_date(deadline, option="--deadline", today=today)
        opens_on = parse_date(opens, option="--opens", today=today) if opens else today
        grade_scale = GradeScale.parse(scale) if scale else DEFAULT_SCALE
        with transaction(rt.factory) as session:
            target = resolve_plan(session, organization_id=rt.organization_id, ref=plan)
            info = open_round(
                session,
                plan=target,
                fiscal_year=year if year is not None else reported_fiscal_year(opens_on),
                deadline=due,
                opens_on=opens_on,
                scale=grade_scale,
            )
    if notify:
        notify_round_now(ctx, info.id, quiet=as_json)
    if as_json:
        print_json(_round_json(info))
        return
    console.print(
        f"{info.label}の回を開きました（回 {info.id}）: {info.plan_name}、"
        f"報告枠 {info.slots}件、受付 {info.opens_on:%Y-%m-%d}〜締切 {info.deadline:%Y-%m-%d}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"達成度: {'、'.join(g.describe() for g in info.scale.grades)}", highlight=False)


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """回の一覧と回答の進み具合。

    Every round of the organization with its progress."""
    rt = runtime(ctx)
    today = rt.today()
    with transaction(rt.factory) as session:
        rows = [
            (info, summarize(session, round_id=info.id, today=today).submitted)
            for info in list_rounds(session, organization_id=rt.organization_id)
        ]
    if as_json:
        print_json([_round_json(info, submitted=done) for info, done in rows])
        return
    if not rows:
        console.print("回はまだありません。hokoku round open で開いてください。")
        return
    table = Table(title="報告の回")
    for column in ("回", "年度", "計画", "受付開始", "締切", "回答", "状態"):
        table.add_column(column, justify="right" if column in {"回", "回答"} else "left")
    for info, done in rows:
        table.add_row(
            str(info.id),
            info.label,
            Text(info.plan_name),
            f"{info.opens_on:%Y-%m-%d}",
            f"{info.deadline:%Y-%m-%d}",
            f"{done}/{info.slots}",
            "終了" if info.closed else "受付中",
        )
    console.print(table)


@app.command("show")
def show_cmd(
    ctx: typer.Context, round_ref: RoundOption = None, as_json: JsonOption = False
) -> None:
    """回の詳細（計画・日付・評価基準・進み具合）。

    One round: plan, dates, grade scale and progress."""
    rt = runtime(ctx)
    with user_errors(), transaction(rt.factory) as session:
        rnd = resolve_round(session, organization_id=rt.organization_id, ref=round_ref)
        info = round_info(session, rnd)
        summary = summarize(session, round_id=rnd.id, today=rt.today())
    if as_json:
        print_json(_round_json(info, submitted=summary.submitted))
        return
    console.print(
        f"回 {info.id}: {info.label} {info.plan_name}（{'終了' if info.closed else '受付中'}）\n"
        f"受付 {info.opens_on:%Y-%m-%d}〜締切 {info.deadline:%Y-%m-%d}\n"
        f"回答 {summary.submitted}/{summary.total}件（{summary.percent:g}%）\n"
        f"達成度: {'、'.join(g.describe() for g in info.scale.grades)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("close")
def close_cmd(
    ctx: typer.Context, round_ref: RoundOption = None, as_json: JsonOption = False
) -> None:
    """回答の受付を終える（書き出しはそのまま使える）。

    Stop taking answers (the export still works). Closing twice changes nothing."""
    rt = runtime(ctx)
    with user_errors(), transaction(rt.factory) as session:
        rnd = resolve_round(session, organization_id=rt.organization_id, ref=round_ref)
        info = close_round(session, rnd=rnd)
    if as_json:
        print_json(_round_json(info))
        return
    console.print(
        f"回 {info.id}（{reiwa_label(info.fiscal_year)} {info.plan_name}）の受付を終了しました。",
        highlight=False,
        soft_wrap=True,
    )
