"""Scheduler commands: `hokoku scheduler`, `hokoku remind`, and `round notify/schedule/edit-schedule`.

`hokoku remind` is the cron-friendly one-shot tick; `hokoku scheduler` keeps ticking every
minute. Both go through scheduler.runner.tick, with the messengers of bot.messengers.
"""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from types import FrameType

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import console, error_text, fail, print_json, runtime, user_errors, words
from bot.cli.sessions import reading, writing
from bot.cli.texts import H
from bot.messengers import build_messengers, calendar_from_settings
from bot.platforms import configured_platforms, report_unconfigured
from bot.runtime import Runtime
from handlers.errors import HokokuError
from handlers.i18n import Translator
from handlers.normalize import split_list
from handlers.renderers import unconfigured_notice
from handlers.reporting.rounds import ANSWER
from scheduler.calendar import BusinessCalendar, parse_send_time
from scheduler.due import due_sends
from scheduler.leader import LeaderLock
from scheduler.runner import (
    TickResult,
    freeze_startup_heap,
    notify_round,
    start_scheduler,
    tick,
)
from scheduler.schedule import (
    Schedule,
    round_calendar,
)
from scheduler.unconfigured import Unconfigured, unconfigured_links

MAX_TARGETS_LISTED = 10


def _purpose(t: Translator, purpose: str) -> str:
    """依頼 / リマインド / 督促 / 事務局まとめ / 送信失敗の連絡 (request, reminder …)."""
    key = f"cli.remind.purpose.{purpose}"
    return t(key) if t.has(key) else purpose


def business_calendar(rt: Runtime) -> BusinessCalendar:
    """The office's calendar from the settings; a setting it cannot read ends the command."""
    try:
        return calendar_from_settings(rt.settings)
    except HokokuError as exc:
        fail(error_text(exc))


def _parse_at(value: str | None, calendar: BusinessCalendar) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(words()("cli.remind.at_unreadable", value=value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.tz)
    return moment.astimezone(UTC)


def _summary(t: Translator, result: TickResult) -> str:
    """The counts, then one line per platform whose targets got nothing (messages held)."""
    d = result.delivery
    held = sum(u.count for u in result.unconfigured)
    counts = t(
        "cli.remind.counts",
        due=len(result.due),
        enqueued=result.enqueued,
        sent=d.sent,
        skipped=d.skipped,
        retried=d.retried,
        failed=d.failed,
    )
    lines = [counts + (t("cli.remind.held", held=held) if held else "")]
    for u in result.unconfigured:
        lines.append(unconfigured_notice(t, u.platform, count=u.count, departments=u.departments))
        more = len(u.targets) - MAX_TARGETS_LISTED
        lines.append(
            t(
                "cli.remind.targets",
                targets=tuple(u.targets[:MAX_TARGETS_LISTED]),
                more=t.plural("cli.remind.more", more) if more > 0 else "",
            )
        )
    return "\n".join(lines)


def _unconfigured_json(entries: tuple[Unconfigured, ...]) -> list[dict[str, object]]:
    return [e.as_json() for e in entries]


def remind_cmd(
    ctx: typer.Context,
    at: str | None = typer.Option(None, "--at", help=H("cli.remind")),
    dry_run: bool = typer.Option(False, "--dry-run", help=H("cli.remind2")),
    as_json: bool = typer.Option(False, "--json", help=H("cli.remind3")),
    round_ref: str | None = typer.Option(None, "--round", help=H("cli.remind4")),
) -> None:
    """Compute the requests, reminders, chases and digests due now and send them (for cron)."""
    rt = runtime(ctx)
    calendar = business_calendar(rt)
    now = _parse_at(at, calendar)
    round_id: int | None = None
    with user_errors():
        if round_ref is not None:
            with reading(rt, round_ref, purpose=ANSWER) as work:
                round_id = work.round.id
        if dry_run:
            with reading(rt) as work:
                due = due_sends(
                    work.session,
                    now=now,
                    calendar=calendar,
                    organization_id=rt.organization_id,
                    round_id=round_id,
                )
            if as_json:
                print_json([d.as_json() for d in due])
                return
            t = words()
            when = f"{now.astimezone(calendar.tz):%Y-%m-%d %H:%M}"
            table = Table(title=escape(t("cli.remind.due_title", at=when)))
            for column in ("target", "department", "purpose", "items"):
                table.add_column(t(f"cli.remind.due_column.{column}"))
            for d in due:
                table.add_row(
                    d.as_json()["target"],  # type: ignore[arg-type]
                    d.department_name,
                    _purpose(t, d.purpose),
                    t.join(str(n) for n in d.items),
                )
            console.print(table)
            console.print(t.plural("cli.remind.dry_run", len(due)), markup=False)
            return
        freeze_startup_heap()
        result = tick(
            rt.factory,
            build_messengers(rt.settings, factory=rt.factory),
            now,
            calendar=calendar,
            organization_id=rt.organization_id,
            round_id=round_id,
            workers=rt.settings.send_workers,
        )
    if as_json:
        print_json(
            {
                "due": len(result.due),
                "enqueued": result.enqueued,
                "sent": result.delivery.sent,
                "skipped": result.delivery.skipped,
                "retried": result.delivery.retried,
                "failed": result.delivery.failed,
                "unconfigured": _unconfigured_json(result.unconfigured),
            }
        )
    else:
        console.print(_summary(words(), result), markup=False)


def scheduler_cmd(
    ctx: typer.Context,
    interval: int | None = typer.Option(None, "--interval", help=H("cli.remind5")),
) -> None:
    """Run the scheduler alone (hokoku serve runs it in-process unless --no-scheduler)."""
    rt = runtime(ctx)
    calendar = business_calendar(rt)
    messengers = build_messengers(rt.settings, factory=rt.factory)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = words()
    started = t(
        "cli.remind.scheduler_started",
        platforms=", ".join(sorted(messengers)),
        time=f"{calendar.send_time:%H:%M}",
        timezone=calendar.timezone,
    )
    console.print(started, markup=False)
    report_unconfigured(rt, configured=messengers.keys())
    # Several schedulers (and `hokoku serve` workers) on one PostgreSQL: one ticks.
    leader = LeaderLock(rt.engine, organization_id=rt.organization_id)
    leading: list[bool] = []  # what was said last (said again only when it changes)

    def lead() -> bool:
        held = leader.held()
        if leading[-1:] != [held]:
            leading.append(held)
            key = "cli.remind.scheduler_leading" if held else "cli.remind.scheduler_standby"
            console.print(t(key), markup=False)
        return held

    scheduler = start_scheduler(
        rt.factory,
        messengers,
        calendar=calendar,
        organization_id=rt.organization_id,
        interval_seconds=interval or rt.settings.scheduler_interval,
        on_tick=lambda result: console.print(
            f"{result.now.astimezone(calendar.tz):%Y-%m-%d %H:%M} {_summary(t, result)}",
            markup=False,
        ),
        workers=rt.settings.send_workers,
        lead=lead,
    )
    stop.wait()
    scheduler.shutdown(wait=True)
    leader.release()


def notify_round_now(ctx: typer.Context, round_id: int, *, quiet: bool = False) -> TickResult:
    """Send the request of a round now (for `round notify` and `round open --notify`)."""
    rt = runtime(ctx)
    freeze_startup_heap()
    with user_errors():
        result = notify_round(
            rt.factory,
            build_messengers(rt.settings, factory=rt.factory),
            datetime.now(UTC),
            round_id=round_id,
            workers=rt.settings.send_workers,
        )
    if not quiet:
        t = words()
        console.print(
            t("cli.remind.notified", round=round_id, summary=_summary(t, result)), markup=False
        )
    return result


def notify_cmd(
    ctx: typer.Context,
    round_ref: str | None = typer.Option(None, "--round", help=H("cli.remind6")),
    as_json: bool = typer.Option(False, "--json", help=H("cli.remind7")),
) -> None:
    """Send the round's request now (each target once; never twice with the scheduler's)."""
    rt = runtime(ctx)
    with reading(rt, round_ref, purpose=ANSWER) as work:
        round_id = work.round.id
    result = notify_round_now(ctx, round_id, quiet=as_json)
    if as_json:
        print_json(
            {
                "round": round_id,
                "targets": len(result.due),
                "sent": result.delivery.sent,
                "failed": result.delivery.failed,
                "unconfigured": _unconfigured_json(result.unconfigured),
            }
        )


def schedule_cmd(
    ctx: typer.Context,
    round_ref: str = typer.Argument(..., metavar="R", help=H("cli.remind8")),
    as_json: bool = typer.Option(False, "--json", help=H("cli.remind9")),
) -> None:
    """The round's planned sends: request, reminders, chases and digests, by date."""
    rt = runtime(ctx)
    calendar = business_calendar(rt)
    with reading(rt, round_ref) as work:
        rnd = work.round
        schedule = Schedule.from_json(rnd.schedule)
        sends = round_calendar(
            opens_on=rnd.opens_on, deadline=rnd.deadline, schedule=schedule, calendar=calendar
        )
        year, deadline, round_id = rnd.fiscal_year, rnd.deadline, rnd.id
        last = max([deadline, *(p.day for p in sends)])
        closed = calendar.office_closed_days(rnd.opens_on, last)
        unreachable = unconfigured_links(
            work.session,
            configured=configured_platforms(rt.settings),
            organization_id=rt.organization_id,
            round_id=round_id,
        )
    send_time = schedule.send_time or calendar.send_time
    t = words()
    if as_json:
        print_json(
            {
                "round": round_id,
                "deadline": deadline.isoformat(),
                "send_time": f"{send_time:%H:%M}",
                "schedule": schedule.to_json(),
                "sends": [
                    {
                        "date": p.day.isoformat(),
                        "purpose": p.purpose,
                        "audience": p.audience,
                        "moved_from": p.moved_from.isoformat() if p.moved_from else None,
                    }
                    for p in sends
                ],
                "closed_days": [
                    {"date": day.isoformat(), "name": t.render(name)} for day, name in closed
                ],
                "unconfigured": _unconfigured_json(unreachable),
            }
        )
        return
    title = t(
        "cli.remind.schedule_title",
        round=round_id,
        year=t.fiscal_year(year),
        deadline=deadline.isoformat(),
        time=f"{send_time:%H:%M}",
    )
    table = Table(title=escape(title))
    for column in ("date", "weekday", "purpose", "audience", "note"):
        table.add_column(t(f"cli.remind.schedule_column.{column}"))
    for p in sends:
        note = ""
        if p.moved_from is not None:
            reason = calendar.closed_message(p.moved_from)
            note = t("cli.remind.moved", day=p.moved_from.isoformat(), reason=reason or "")
        table.add_row(
            p.day.isoformat(),
            t(f"weekday.{p.day.weekday()}"),
            _purpose(t, p.purpose) + (f" {p.ordinal}" if p.purpose != "request" else ""),
            t(f"cli.remind.audience.{p.audience}"),
            note,
        )
    console.print(table)
    if closed:
        days = tuple(f"{day} {t.render(name)}" for day, name in closed)
        console.print(
            t("cli.remind.closed_days", days=days),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if schedule.digest_daily_after_deadline:
        console.print(t("cli.remind.daily_digest"), markup=False)
    for entry in unreachable:
        notice = unconfigured_notice(
            t, entry.platform, count=entry.count, departments=entry.departments, linked=True
        )
        console.print(
            t("cli.remind.warning", text=notice), style="yellow", highlight=False, markup=False
        )


def edit_schedule_cmd(
    ctx: typer.Context,
    round_ref: str = typer.Argument(..., metavar="R", help=H("cli.remind10")),
    reminders: str | None = typer.Option(None, "--reminders", help=H("cli.remind11")),
    unit: str | None = typer.Option(None, "--unit", help=H("cli.remind.unit")),
    chase_every: int | None = typer.Option(None, "--chase-every", help=H("cli.remind12")),
    chase_max: int | None = typer.Option(None, "--chase-max", help=H("cli.remind13")),
    digest_weekday: int | None = typer.Option(None, "--digest-weekday", help=H("cli.remind14")),
    digest_daily: bool | None = typer.Option(
        None, "--digest-daily/--no-digest-daily", help=H("cli.remind15")
    ),
    send_time: str | None = typer.Option(None, "--send-time", help=H("cli.remind16")),
    reset: bool = typer.Option(False, "--reset", help=H("cli.remind17")),
) -> None:
    """Change the round's schedule (only what is given is stored; default: 10,5,2,1 business days before, 3 chases every 2 business days)."""
    rt = runtime(ctx)
    changes: dict[str, object] = {}
    try:
        if reminders is not None:
            changes["reminder_days"] = tuple(int(part) for part in split_list(reminders))
        if send_time is not None:
            changes["send_time"] = parse_send_time(send_time)
    except ValueError:
        fail(words()("cli.remind.schedule_options"))
    for name, value in (
        ("reminder_unit", unit),
        ("chase_every", chase_every),
        ("chase_max", chase_max),
        ("digest_weekday", digest_weekday),
        ("digest_daily_after_deadline", digest_daily),
    ):
        if value is not None:
            changes[name] = value
    with writing(rt, round_ref) as work:
        rnd = work.round
        current = Schedule() if reset else Schedule.from_json(rnd.schedule)
        schedule = current.updated(**changes)  # InvalidValue: one line (user_errors)
        rnd.schedule = None if schedule == Schedule() else schedule.to_json()
        round_id = rnd.id
    console.print(words()("cli.remind.schedule_saved", round=round_id), markup=False)
