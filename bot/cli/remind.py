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
from rich.table import Table

from bot.cli.common import console, fail, print_json, runtime, user_errors
from bot.cli.texts import H
from bot.messengers import build_messengers, calendar_from_settings
from bot.platforms import configured_platforms, report_unconfigured
from bot.runtime import Runtime
from handlers.errors import InvalidInput
from handlers.fiscal import reiwa_label
from handlers.i18n import translator
from handlers.renderers import unconfigured_notice
from handlers.reporting.rounds import ANSWER, VIEW, resolve_round
from models.db import transaction
from scheduler.calendar import BusinessCalendar, parse_send_time
from scheduler.due import due_sends
from scheduler.runner import (
    TickResult,
    freeze_startup_heap,
    notify_round,
    start_scheduler,
    tick,
)
from scheduler.schedule import (
    UNIT_BUSINESS,
    UNIT_CALENDAR,
    WEEKDAYS_JA,
    Schedule,
    round_calendar,
)
from scheduler.unconfigured import Unconfigured, unconfigured_links

PURPOSE_JA = {
    "request": "依頼",
    "reminder": "リマインド",
    "overdue": "督促",
    "digest": "事務局まとめ",
    "failure": "送信失敗の連絡",
}
AUDIENCE_JA = {"department": "未回答の担当課", "office": "事務局"}
MAX_TARGETS_LISTED = 10


def _calendar(rt: Runtime) -> BusinessCalendar:
    try:
        return calendar_from_settings(rt.settings)
    except ValueError as exc:
        fail(str(exc))


def _parse_at(value: str | None, calendar: BusinessCalendar) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--at「{value}」は ISO 形式で指定してください（例: 2024-05-07T09:30）。")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.tz)
    return moment.astimezone(UTC)


def _summary(result: TickResult) -> str:
    """The counts, then one line per platform whose targets got nothing (messages held)."""
    d = result.delivery
    held = sum(u.count for u in result.unconfigured)
    lines = [
        f"対象 {len(result.due)} 件、新規 {result.enqueued} 件、送信 {d.sent} 件、"
        f"不要 {d.skipped} 件、再試行 {d.retried} 件、失敗 {d.failed} 件"
        + (f"、未設定で保留 {held} 件" if held else "")
    ]
    for u in result.unconfigured:
        lines.append(
            unconfigured_notice(translator(), u.platform, count=u.count, departments=u.departments)
        )
        more = len(u.targets) - MAX_TARGETS_LISTED
        lines.append(
            "  宛先: "
            + "、".join(u.targets[:MAX_TARGETS_LISTED])
            + (f" ほか{more}件" if more > 0 else "")
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
    calendar = _calendar(rt)
    now = _parse_at(at, calendar)
    round_id: int | None = None
    with user_errors():
        if round_ref is not None:
            with transaction(rt.factory) as s:
                round_id = resolve_round(
                    s, organization_id=rt.organization_id, ref=round_ref, purpose=ANSWER
                ).id
        if dry_run:
            with transaction(rt.factory) as s:
                due = due_sends(
                    s,
                    now=now,
                    calendar=calendar,
                    organization_id=rt.organization_id,
                    round_id=round_id,
                )
            if as_json:
                print_json([d.as_json() for d in due])
                return
            table = Table(title=f"{now.astimezone(calendar.tz):%Y-%m-%d %H:%M} に送るもの")
            for column in ("宛先", "担当課", "種類", "未回答の項目"):
                table.add_column(column)
            for d in due:
                table.add_row(
                    d.as_json()["target"],  # type: ignore[arg-type]
                    d.department_name,
                    PURPOSE_JA.get(d.purpose, d.purpose),
                    "、".join(str(n) for n in d.items),
                )
            console.print(table)
            console.print(f"{len(due)} 件（--dry-run: 送っていません）")
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
        console.print(_summary(result))


def scheduler_cmd(
    ctx: typer.Context,
    interval: int | None = typer.Option(None, "--interval", help=H("cli.remind5")),
) -> None:
    """Run the scheduler alone (hokoku serve runs it in-process unless --no-scheduler)."""
    rt = runtime(ctx)
    calendar = _calendar(rt)
    messengers = build_messengers(rt.settings, factory=rt.factory)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    console.print(
        f"hokoku scheduler: {', '.join(sorted(messengers))}、送信時刻 "
        f"{calendar.send_time:%H:%M}（{calendar.timezone}）。Ctrl-C で終了。"
    )
    report_unconfigured(rt, configured=messengers.keys())
    scheduler = start_scheduler(
        rt.factory,
        messengers,
        calendar=calendar,
        organization_id=rt.organization_id,
        interval_seconds=interval or rt.settings.scheduler_interval,
        on_tick=lambda result: console.print(
            f"{result.now.astimezone(calendar.tz):%Y-%m-%d %H:%M} {_summary(result)}"
        ),
        workers=rt.settings.send_workers,
    )
    stop.wait()
    scheduler.shutdown(wait=True)


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
        console.print(f"回 {round_id} の依頼: {_summary(result)}")
    return result


def notify_cmd(
    ctx: typer.Context,
    round_ref: str | None = typer.Option(None, "--round", help=H("cli.remind6")),
    as_json: bool = typer.Option(False, "--json", help=H("cli.remind7")),
) -> None:
    """Send the round's request now (each target once; never twice with the scheduler's)."""
    rt = runtime(ctx)
    with user_errors(), transaction(rt.factory) as s:
        round_id = resolve_round(
            s, organization_id=rt.organization_id, ref=round_ref, purpose=ANSWER
        ).id
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
    calendar = _calendar(rt)
    with user_errors(), transaction(rt.factory) as s:
        rnd = resolve_round(s, organization_id=rt.organization_id, ref=round_ref, purpose=VIEW)
        schedule = Schedule.from_json(rnd.schedule)
        sends = round_calendar(
            opens_on=rnd.opens_on, deadline=rnd.deadline, schedule=schedule, calendar=calendar
        )
        label, deadline, round_id = reiwa_label(rnd.fiscal_year), rnd.deadline, rnd.id
        last = max([deadline, *(p.day for p in sends)])
        closed = calendar.office_closed_days(rnd.opens_on, last)
        unreachable = unconfigured_links(
            s,
            configured=configured_platforms(rt.settings),
            organization_id=rt.organization_id,
            round_id=round_id,
        )
    send_time = schedule.send_time or calendar.send_time
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
                "closed_days": [{"date": day.isoformat(), "name": name} for day, name in closed],
                "unconfigured": _unconfigured_json(unreachable),
            }
        )
        return
    table = Table(
        title=f"回 {round_id} {label} 送信予定（締切 {deadline}、毎回 {send_time:%H:%M}）"
    )
    for column in ("日付", "曜", "種類", "宛先", "備考"):
        table.add_column(column)
    for p in sends:
        note = ""
        if p.moved_from is not None:
            note = f"{p.moved_from} は{calendar.closed_reason(p.moved_from)}のため移動"
        table.add_row(
            p.day.isoformat(),
            WEEKDAYS_JA[p.day.weekday()],
            PURPOSE_JA[p.purpose] + (f" {p.ordinal}" if p.purpose != "request" else ""),
            AUDIENCE_JA[p.audience],
            note,
        )
    console.print(table)
    if closed:
        console.print(
            "この回の期間の休業日（HOKOKU_CLOSED_DAYS）: "
            + "、".join(f"{day} {name}" for day, name in closed),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if schedule.digest_daily_after_deadline:
        console.print("締切後の事務局まとめは、未回答がある間、回を閉じるまで毎営業日続きます。")
    for entry in unreachable:
        console.print(
            "注意: "
            + unconfigured_notice(
                translator(rt.settings.language),
                entry.platform,
                count=entry.count,
                departments=entry.departments,
                linked=True,
            ),
            style="yellow",
            highlight=False,
        )


def edit_schedule_cmd(
    ctx: typer.Context,
    round_ref: str = typer.Argument(..., metavar="R", help=H("cli.remind10")),
    reminders: str | None = typer.Option(None, "--reminders", help=H("cli.remind11")),
    unit: str | None = typer.Option(
        None, "--unit", help=f"日数の単位: {UNIT_BUSINESS}（営業日）/ {UNIT_CALENDAR}（暦日）"
    ),
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
            changes["reminder_days"] = tuple(
                int(part) for part in reminders.replace("、", ",").split(",") if part.strip()
            )
        if send_time is not None:
            changes["send_time"] = parse_send_time(send_time)
    except ValueError:
        fail("--reminders は 10,5,2,1、--send-time は 09:30 の形で指定してください。")
    for name, value in (
        ("reminder_unit", unit),
        ("chase_every", chase_every),
        ("chase_max", chase_max),
        ("digest_weekday", digest_weekday),
        ("digest_daily_after_deadline", digest_daily),
    ):
        if value is not None:
            changes[name] = value
    with user_errors(), transaction(rt.factory) as s:
        rnd = resolve_round(s, organization_id=rt.organization_id, ref=round_ref, purpose=VIEW)
        current = Schedule() if reset else Schedule.from_json(rnd.schedule)
        try:
            schedule = current.updated(**changes)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        rnd.schedule = None if schedule == Schedule() else schedule.to_json()
        round_id = rnd.id
    console.print(
        f"回 {round_id} の送信予定を保存しました（hokoku round schedule {round_id} で確認）。"
    )
