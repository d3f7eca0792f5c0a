"""`hokoku round`: open, list, show, close, reopen and edit the yearly reporting round."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bot.cli import remind, results
from bot.cli.common import console, fail, print_json, runtime, user_errors
from bot.cli.options import os_user, parse_date
from bot.cli.remind import notify_round_now
from bot.cli.sessions import reading, writing
from bot.cli.texts import H
from bot.messengers import calendar_from_settings
from bot.runtime import Runtime
from handlers.fiscal import reported_fiscal_year
from handlers.organization.directory import resolve_plan
from handlers.reporting.rounds import (
    ANSWER,
    RoundInfo,
    close_round,
    edit_round,
    list_rounds,
    open_round,
    reopen_round,
    round_info,
    state_label,
)
from handlers.reporting.status import summarize
from handlers.scale import DEFAULT_SCALE, GradeScale
from scheduler.calendar import BusinessCalendar
from scheduler.replan import drop_unplanned_sends

app = typer.Typer(help=H("cli.round.app"), no_args_is_help=True)

RoundOption = Annotated[str | None, typer.Option("--round", "-r", help=H("cli.round.round"))]
LatestRoundOption = Annotated[
    str | None,
    typer.Option("--round", "-r", help=H("cli.round.latest_round")),
]
JsonOption = Annotated[bool, typer.Option("--json", help=H("cli.round.json"))]


def _round_json(info: RoundInfo, *, submitted: int | None = None) -> dict[str, object]:
    data: dict[str, object] = {
        "round": info.id,
        "label": info.label,
        "fiscal_year": info.fiscal_year,
        "plan": info.plan_name,
        "plan_title": info.plan_title,
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


@app.command("open", help=H("cli.round.open"))
def open_cmd(
    ctx: typer.Context,
    plan: Annotated[str, typer.Option("--plan", "-p", help=H("cli.round.open.plan"))],
    deadline: Annotated[str, typer.Option("--deadline", "-d", help=H("cli.round.open.deadline"))],
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            "-y",
            help=H("cli.round.open.year"),
        ),
    ] = None,
    opens: Annotated[str | None, typer.Option("--opens", help=H("cli.round.open.opens"))] = None,
    scale: Annotated[
        str | None,
        typer.Option(
            "--scale",
            help=H("cli.round.open.scale"),
        ),
    ] = None,
    notify: Annotated[
        bool,
        typer.Option("--notify", help=H("cli.round.open.notify")),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Open the round of one fiscal year: one open report slot per item × department."""
    rt = runtime(ctx)
    with user_errors():
        today = rt.today()
        due = parse_date(deadline, option="--deadline", today=today)
        opens_on = parse_date(opens, option="--opens", today=today) if opens else today
        grade_scale = GradeScale.parse(scale) if scale else DEFAULT_SCALE
        with writing(rt) as work:
            target = resolve_plan(work.session, organization_id=rt.organization_id, ref=plan)
            info = open_round(
                work.session,
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


@app.command("list", help=H("cli.round.list"))
def list_cmd(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every round of the organization with its progress."""
    rt = runtime(ctx)
    today = rt.today()
    with reading(rt) as work:
        rows = [
            (info, summarize(work.session, round_id=info.id, today=today).submitted)
            for info in list_rounds(work.session, organization_id=rt.organization_id)
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
            state_label(info.closed),
        )
    console.print(table)


@app.command("show", help=H("cli.round.show"))
def show_cmd(
    ctx: typer.Context, round_ref: LatestRoundOption = None, as_json: JsonOption = False
) -> None:
    """One round: plan, dates, grade scale and progress."""
    rt = runtime(ctx)
    with reading(rt, round_ref) as work:
        info = round_info(work.session, work.round)
        summary = summarize(work.session, round_id=info.id, today=rt.today())
    if as_json:
        print_json(_round_json(info, submitted=summary.submitted))
        return
    console.print(
        f"{info.caption}\n"
        f"受付 {info.opens_on:%Y-%m-%d}〜締切 {info.deadline:%Y-%m-%d}\n"
        f"回答 {summary.submitted}/{summary.total}件（{summary.percent:g}%）\n"
        f"達成度: {'、'.join(g.describe() for g in info.scale.grades)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("close", help=H("cli.round.close"))
def close_cmd(
    ctx: typer.Context, round_ref: RoundOption = None, as_json: JsonOption = False
) -> None:
    """Stop taking answers from departments (export and office entry still work). Idempotent."""
    rt = runtime(ctx)
    with writing(rt, round_ref, purpose=ANSWER) as work:
        info = close_round(work.session, rnd=work.round, actor=f"cli:{os_user()}")
    if as_json:
        print_json(_round_json(info))
        return
    console.print(
        f"{info.caption} の受付を終了しました。書き出し: hokoku export -o 達成状況一覧.xlsx",
        highlight=False,
        soft_wrap=True,
    )


def _calendar(rt: Runtime) -> BusinessCalendar:
    try:
        return calendar_from_settings(rt.settings)
    except ValueError as exc:
        fail(str(exc))


@app.command("reopen", help=H("cli.round.reopen"))
def reopen_cmd(
    ctx: typer.Context,
    round_ref: LatestRoundOption = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", "-d", help=H("cli.round.reopen.deadline"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Take answers again in a closed round (audited), optionally with a new deadline."""
    rt = runtime(ctx)
    calendar = _calendar(rt)
    with user_errors():
        due = parse_date(deadline, option="--deadline") if deadline else None
        with writing(rt, round_ref) as work:
            rnd = work.round
            was_closed = rnd.is_closed
            info = reopen_round(work.session, rnd=rnd, actor=f"cli:{os_user()}", deadline=due)
            drop_unplanned_sends(work.session, rnd=rnd, calendar=calendar)
    if as_json:
        print_json(_round_json(info))
        return
    verb = "の受付を再開しました" if was_closed else "はすでに受付中です"
    lines = [f"{info.caption}{verb}。締切 {info.deadline:%Y-%m-%d}"]
    if info.deadline < rt.today():
        lines.append(
            "締切を過ぎているため、未回答の課には督促が送られます。"
            "締切を延ばすには hokoku round edit --deadline 日付 を使ってください。"
        )
    console.print("\n".join(lines), highlight=False, soft_wrap=True)


@app.command("edit", help=H("cli.round.edit"))
def edit_cmd(
    ctx: typer.Context,
    deadline: Annotated[str, typer.Option("--deadline", "-d", help=H("cli.round.edit.deadline"))],
    round_ref: LatestRoundOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move the round's deadline (audited); reminders and chases follow the new date, and messages planned for the old date that have not gone out yet are dropped."""
    rt = runtime(ctx)
    calendar = _calendar(rt)
    with user_errors():
        due = parse_date(deadline, option="--deadline")
        with writing(rt, round_ref) as work:
            rnd = work.round
            before = rnd.deadline
            info = edit_round(work.session, rnd=rnd, actor=f"cli:{os_user()}", deadline=due)
            dropped = drop_unplanned_sends(work.session, rnd=rnd, calendar=calendar)
    if as_json:
        print_json(
            {**_round_json(info), "previous_deadline": before.isoformat(), "dropped": dropped}
        )
        return
    if before == info.deadline:
        console.print(f"{info.caption} の締切は {before:%Y-%m-%d} のままです。", highlight=False)
        return
    note = f"（送信待ちだった旧締切の通知 {dropped}件を取り消しました）" if dropped else ""
    console.print(
        f"{info.caption} の締切を {before:%Y-%m-%d} から {info.deadline:%Y-%m-%d} に変えました。"
        f"リマインド・督促は新しい締切で送ります{note}。確認: hokoku round schedule {info.id}",
        highlight=False,
        soft_wrap=True,
    )


# The round's scheduling and results commands live beside the scheduler and the importer.
app.command("notify", help=H("cli.remind.notify"))(remind.notify_cmd)
app.command("schedule", help=H("cli.remind.schedule"))(remind.schedule_cmd)
app.command("edit-schedule", help=H("cli.remind.edit_schedule"))(remind.edit_schedule_cmd)
app.command("import-results", help=H("cli.results.import_results"))(results.import_results_cmd)
