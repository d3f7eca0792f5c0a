"""`hokoku round`: open, list, show, close, reopen and edit the yearly reporting round."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bot.cli import forms, remind, results
from bot.cli.common import console, print_json, runtime, user_errors, words
from bot.cli.options import os_user, parse_date
from bot.cli.remind import business_calendar, notify_round_now
from bot.cli.sessions import reading, writing
from bot.cli.texts import H
from handlers.fiscal import reported_fiscal_year
from handlers.i18n import Translator
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
    t = words()
    opened = t(
        "cli.round.opened",
        year=t.fiscal_year(info.fiscal_year),
        round=info.id,
        plan=info.plan_name,
        slots=info.slots,
        opens=info.opens_on.isoformat(),
        deadline=info.deadline.isoformat(),
    )
    console.print(opened, highlight=False, soft_wrap=True, markup=False)
    console.print(_scale_line(t, info), highlight=False, markup=False)


def _scale_line(t: Translator, info: RoundInfo) -> str:
    """`達成度: A 計画以上 100%～、B …` (the round's scale as stored)."""
    return t("cli.round.scale", grades=tuple(g.describe() for g in info.scale.grades))


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
    t = words()
    if not rows:
        console.print(t("cli.round.none"), markup=False)
        return
    table = Table(title=t("cli.round.list.title"))
    for column in ("round", "year", "plan", "opens", "deadline", "answered", "state"):
        table.add_column(
            t(f"cli.round.column.{column}"),
            justify="right" if column in {"round", "answered"} else "left",
        )
    for info, done in rows:
        table.add_row(
            str(info.id),
            t.fiscal_year(info.fiscal_year),
            Text(info.plan_name),
            f"{info.opens_on:%Y-%m-%d}",
            f"{info.deadline:%Y-%m-%d}",
            f"{done}/{info.slots}",
            t.render(state_label(info.closed)),
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
    t = words()
    shown = t(
        "cli.round.shown",
        caption=info.caption,
        opens=info.opens_on.isoformat(),
        deadline=info.deadline.isoformat(),
        submitted=summary.submitted,
        total=summary.total,
        percent=summary.percent,
    )
    console.print(
        shown + "\n" + _scale_line(t, info), highlight=False, soft_wrap=True, markup=False
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
    closed = words()("cli.round.closed", caption=info.caption)
    console.print(closed, highlight=False, soft_wrap=True, markup=False)


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
    calendar = business_calendar(rt)
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
    t = words()
    said = "cli.round.reopened" if was_closed else "cli.round.already_open"
    lines = [t(said, caption=info.caption, deadline=info.deadline.isoformat())]
    if info.deadline < rt.today():
        lines.append(t("cli.round.reopened_past_deadline"))
    console.print("\n".join(lines), highlight=False, soft_wrap=True, markup=False)


@app.command("edit", help=H("cli.round.edit"))
def edit_cmd(
    ctx: typer.Context,
    deadline: Annotated[str, typer.Option("--deadline", "-d", help=H("cli.round.edit.deadline"))],
    round_ref: LatestRoundOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move the round's deadline (audited); reminders and chases follow the new date, and messages planned for the old date that have not gone out yet are dropped."""
    rt = runtime(ctx)
    calendar = business_calendar(rt)
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
    t = words()
    if before == info.deadline:
        same = t("cli.round.deadline_unchanged", caption=info.caption, deadline=before.isoformat())
        console.print(same, highlight=False, markup=False)
        return
    note = t.plural("cli.round.dropped", dropped) if dropped else ""
    moved = t(
        "cli.round.deadline_moved",
        caption=info.caption,
        before=before.isoformat(),
        deadline=info.deadline.isoformat(),
        note=note,
        round=info.id,
    )
    console.print(moved, highlight=False, soft_wrap=True, markup=False)


# The round's scheduling and results commands live beside the scheduler and the importer.
app.command("notify", help=H("cli.remind.notify"))(remind.notify_cmd)
app.command("schedule", help=H("cli.remind.schedule"))(remind.schedule_cmd)
app.command("edit-schedule", help=H("cli.remind.edit_schedule"))(remind.edit_schedule_cmd)
app.command("import-results", help=H("cli.results.import_results"))(results.import_results_cmd)
# The Excel 照会様式 out to the departments and back (bot/cli/forms.py).
app.command("forms", help=H("cli.round.forms"))(forms.forms_cmd)
app.command("collect", help=H("cli.round.collect"))(forms.collect_cmd)
