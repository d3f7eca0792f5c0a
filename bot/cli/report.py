"""`hokoku report`: the office enters answers received by mail or on paper (proxy answers)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, print_json, runtime, words
from bot.cli.options import os_user
from bot.cli.sessions import reading, writing
from bot.cli.texts import H
from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.normalize import fold
from handlers.organization.directory import find_department
from handlers.renderers import render_confirmation
from handlers.reporting.history import slot_history
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import round_caption

app = typer.Typer(help=H("cli.report.app"), no_args_is_help=True)

CHANNEL = "office"

RoundOption = Annotated[
    str | None,
    typer.Option("--round", "-r", help=H("cli.report.round")),
]
DeptOption = Annotated[str, typer.Option("--dept", help=H("cli.report.dept"))]
ItemOption = Annotated[str, typer.Option("--item", "-i", help=H("cli.report.item"))]


def _item_number(text: str) -> int:
    value = fold(text).lstrip("#")
    if not value.isdigit():
        raise InvalidInput(msg("cli.report.item_not_number", text=text))
    return int(value)


@app.command("set", help=H("cli.report.set"))
def set_cmd(
    ctx: typer.Context,
    dept: DeptOption,
    item: ItemOption,
    grade: Annotated[str, typer.Option("--grade", "-g", help=H("cli.report.set.grade"))],
    comment: Annotated[
        str | None,
        typer.Option("--comment", "-c", help=H("cli.report.set.comment")),
    ] = None,
    round_ref: RoundOption = None,
    by: Annotated[str | None, typer.Option("--by", help=H("cli.report.set.by"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.report.set.as_json"))] = False,
) -> None:
    """Store one answer for a department, as the office (channel "office"), also in a closed round (late entry); revisions are kept and every stored answer is audited."""
    rt = runtime(ctx)
    reporter = by or f"cli:{os_user()}"
    with writing(rt, round_ref) as work:
        rnd = work.round
        department = find_department(work.session, organization_id=rt.organization_id, name=dept)
        outcome = submit_answer(
            work.session,
            round_id=rnd.id,
            department_id=department.id,
            item_number=_item_number(item),
            grade=grade,
            comment=comment,
            reporter=reporter,
            channel=CHANNEL,
            acting_as_office=True,
        )
        caption, closed = round_caption(rnd), rnd.is_closed
    if as_json:
        print_json(
            {
                "round": rnd.id,
                "closed": closed,
                "status": outcome.status,
                "department": outcome.department_name,
                "item": outcome.item_number,
                "grade": outcome.grade,
                "comment": outcome.comment,
                "revision": outcome.revision,
            }
        )
        return
    t = words()
    late = t("cli.report.late") if closed else ""
    console.print(
        f"{outcome.department_name} {t.render(caption)}{late}\n"
        + "\n".join(render_confirmation(t, [outcome])),
        highlight=False,
        soft_wrap=True,
        markup=False,
    )


@app.command("history", help=H("cli.report.history"))
def history_cmd(
    ctx: typer.Context,
    dept: DeptOption,
    item: ItemOption,
    round_ref: RoundOption = None,
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.report.history.as_json"))] = False,
) -> None:
    """Every revision of one item × department answer, oldest first."""
    rt = runtime(ctx)
    with reading(rt, round_ref) as work:
        rnd = work.round
        department = find_department(work.session, organization_id=rt.organization_id, name=dept)
        caption = round_caption(rnd)
        revisions = slot_history(
            work.session,
            round_id=rnd.id,
            department_id=department.id,
            item_number=_item_number(item),
        )
    zone = ZoneInfo(rt.settings.timezone)
    if as_json:
        print_json(
            [
                {
                    "revision": r.revision,
                    "grade": r.grade,
                    "comment": r.comment,
                    "reporter": r.reporter,
                    "channel": r.channel,
                    "at": r.created_at.astimezone(zone).isoformat(),
                }
                for r in revisions
            ]
        )
        return
    t = words()
    if not revisions:
        none = t("cli.report.no_history", department=department.name, item=item, caption=caption)
        console.print(none, highlight=False, markup=False)
        return
    table = Table(
        title=escape(
            t("cli.report.history.title", department=department.name, item=item, caption=caption)
        )
    )
    for column in ("revision", "grade", "comment", "reporter", "channel"):
        table.add_column(t(f"cli.report.column.{column}"))
    table.add_column(t("cli.report.column.at", timezone=rt.settings.timezone))
    for r in revisions:
        table.add_row(
            str(r.revision),
            Text(r.grade),
            Text(r.comment),
            Text(r.reporter),
            r.channel,
            f"{r.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
        )
    console.print(table)
