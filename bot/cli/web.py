"""`hokoku web`: one-time sign-in links to the web console, its sessions, and ending them;
and which departments have opened the answer links they were e-mailed.

The console itself is served by `hokoku serve` under `/web/` (bot/web); a link is printed
under HOKOKU_PUBLIC_URL, so it opens wherever the office reaches the server.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import console, fail, print_json, runtime, user_errors
from bot.cli.options import os_user
from bot.cli.sessions import reading
from bot.cli.texts import H
from handlers.i18n import normalize_language, translator
from handlers.organization.directory import find_department, office_department
from handlers.organization.web_access import (
    LINK_TTL,
    answer_links,
    create_link,
    list_sessions,
    revoke_sessions,
)
from handlers.reporting.rounds import round_caption
from models import ROLE_MEMBER, ROLE_OFFICE, utcnow
from models.db import transaction

app = typer.Typer(help=H("cli.web.app"), no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help=H("cli.web.json"))]


@app.command("link", help=H("cli.web.link"))
def link_cmd(
    ctx: typer.Context,
    dept: Annotated[str, typer.Option("--dept", "-d", help=H("cli.web.link.dept"))],
    office: Annotated[bool, typer.Option("--office", help=H("cli.web.link.office"))] = False,
    name: Annotated[str | None, typer.Option("--name", help=H("cli.web.link.name"))] = None,
    lang: Annotated[str | None, typer.Option("--lang", help=H("cli.web.link.lang"))] = None,
    as_json: JsonOption = False,
) -> None:
    """Print a one-time sign-in URL (15 minutes) for DEPT, with the office's role if --office."""
    rt = runtime(ctx)
    t = translator(rt.settings.language)
    if rt.settings.public_url is None:
        fail(t("cli.web.no_public_url"))
    language = normalize_language(lang) if lang else None
    if lang and language is None:
        fail(t("language.usage"))
    actor = f"cli:{os_user()}"
    with user_errors(), transaction(rt.factory) as session:
        created = False
        if office:
            found = office_department(session, organization_id=rt.organization_id, name=dept)
            department, created = found.department, found.created
        else:
            department = find_department(session, organization_id=rt.organization_id, name=dept)
        issued = create_link(
            session,
            department=department,
            role=ROLE_OFFICE if office else ROLE_MEMBER,
            person=f"web:{name}" if name else actor,
            created_by=actor,
            now=utcnow(),
            language=language,
        )
    url = rt.settings.public_url + issued.path
    expires = issued.expires_at.astimezone(ZoneInfo(rt.settings.timezone))
    if as_json:
        print_json(
            {
                "url": url,
                "department": issued.department_name,
                "role": issued.role,
                "expires_at": expires.isoformat(),
            }
        )
        return
    if created:
        console.print(
            t("cli.web.link.office_registered", department=issued.department_name),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    role = t("web.link.office") if issued.office else ""
    minutes = int(LINK_TTL.total_seconds() // 60)
    console.print(
        t("cli.web.link.printed", department=issued.department_name, role=role, minutes=minutes),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    console.print(url, highlight=False, markup=False, soft_wrap=True)


@app.command("sessions", help=H("cli.web.sessions"))
def sessions_cmd(
    ctx: typer.Context,
    all_sessions: Annotated[bool, typer.Option("--all", help=H("cli.web.sessions.all"))] = False,
    as_json: JsonOption = False,
) -> None:
    """The web console's sessions: who is signed in, for which department, since when."""
    rt = runtime(ctx)
    t = translator(rt.settings.language)
    zone = ZoneInfo(rt.settings.timezone)
    with transaction(rt.reader) as session:
        views = list_sessions(
            session, organization_id=rt.organization_id, now=utcnow(), include_ended=all_sessions
        )
    if as_json:
        print_json(
            [
                {
                    "session": v.id,
                    "department": v.department_name,
                    "role": v.role,
                    "person": v.person,
                    "client": v.client,
                    "created_at": v.created_at.astimezone(zone).isoformat(),
                    "last_seen_at": v.last_seen_at.astimezone(zone).isoformat(),
                    "ends_at": v.idle_until.astimezone(zone).isoformat(),
                    "ended_at": v.ended_at.astimezone(zone).isoformat() if v.ended_at else None,
                    "end_reason": v.end_reason or None,
                }
                for v in views
            ]
        )
        return
    if not views:
        console.print(t("cli.web.sessions.none"), highlight=False)
        return
    table = Table(title=t("cli.web.sessions.title"))
    for key in ("id", "department", "role", "person", "client", "since", "last", "state"):
        table.add_column(t(f"cli.web.sessions.column.{key}"))
    for v in views:
        state = (
            t(f"cli.web.sessions.ended.{v.end_reason or 'idle'}")
            if v.ended_at
            else t("cli.web.sessions.live", until=f"{v.idle_until.astimezone(zone):%H:%M}")
        )
        table.add_row(
            str(v.id),
            escape(v.department_name),
            t("web.role.office") if v.role == ROLE_OFFICE else t("web.role.member"),
            escape(v.person),
            escape(v.client),
            f"{v.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
            f"{v.last_seen_at.astimezone(zone):%Y-%m-%d %H:%M}",
            state,
        )
    console.print(table)


@app.command("revoke", help=H("cli.web.revoke"))
def revoke_cmd(
    ctx: typer.Context,
    session_ids: Annotated[
        list[int] | None, typer.Argument(metavar="ID…", help=H("cli.web.revoke.ids"))
    ] = None,
    dept: Annotated[str | None, typer.Option("--dept", "-d", help=H("cli.web.revoke.dept"))] = None,
    everyone: Annotated[bool, typer.Option("--all", help=H("cli.web.revoke.all"))] = False,
    as_json: JsonOption = False,
) -> None:
    """End sessions now: the ones named, every one of a department, or all."""
    rt = runtime(ctx)
    t = translator(rt.settings.language)
    with user_errors(), transaction(rt.factory) as session:
        department = (
            find_department(session, organization_id=rt.organization_id, name=dept)
            if dept
            else None
        )
        revoked = revoke_sessions(
            session,
            organization_id=rt.organization_id,
            actor=f"cli:{os_user()}",
            now=utcnow(),
            session_ids=session_ids or (),
            department=department,
            everyone=everyone,
        )
    if as_json:
        print_json({"ended": revoked.sessions, "links_revoked": revoked.links})
        return
    console.print(t("cli.web.revoke.done", count=revoked.sessions), highlight=False, markup=False)
    if revoked.links:
        console.print(t("cli.web.revoke.links", count=revoked.links), highlight=False, markup=False)


@app.command("links", help=H("cli.web.links"))
def links_cmd(
    ctx: typer.Context,
    round_ref: Annotated[
        str | None, typer.Option("--round", help=H("cli.web.links.round_ref"))
    ] = None,
    unopened: Annotated[bool, typer.Option("--unopened", help=H("cli.web.links.unopened"))] = False,
    as_json: JsonOption = False,
) -> None:
    """The round's e-mailed answer links by department and address: sent, opened, until."""
    rt = runtime(ctx)
    t = translator(rt.settings.language)
    zone = ZoneInfo(rt.settings.timezone)
    with reading(rt, round_ref) as work:
        rnd = work.round
        caption = t.render(round_caption(rnd))
        links = answer_links(work.session, organization_id=rt.organization_id, round_id=rnd.id)
    if unopened:
        links = [v for v in links if not v.opened]
    if as_json:
        print_json(
            [
                {
                    "department": v.department_name,
                    "address": v.person,
                    "sent": v.sent,
                    "last_sent_at": v.last_sent_at.astimezone(zone).isoformat(),
                    "opened_at": v.opened_at.astimezone(zone).isoformat() if v.opened_at else None,
                    "expires_at": v.expires_at.astimezone(zone).isoformat(),
                    "revoked": v.revoked,
                }
                for v in links
            ]
        )
        return
    if not links:
        key = "cli.web.links.all_opened" if unopened else "cli.web.links.none"
        console.print(t(key, round=caption), highlight=False, markup=False, soft_wrap=True)
        return
    table = Table(title=t("cli.web.links.title", round=caption))
    for key in ("department", "address", "sent", "last", "opened", "until"):
        table.add_column(t(f"cli.web.links.column.{key}"))
    for v in links:
        opened = (
            f"{v.opened_at.astimezone(zone):%Y-%m-%d %H:%M}"
            if v.opened_at
            else f"[bold]{escape(t('cli.web.links.not_opened'))}[/bold]"
        )
        until = (
            t("cli.web.links.revoked")
            if v.revoked
            else f"{v.expires_at.astimezone(zone):%Y-%m-%d %H:%M}"
        )
        table.add_row(
            escape(v.department_name),
            escape(v.person),
            str(v.sent),
            f"{v.last_sent_at.astimezone(zone):%Y-%m-%d %H:%M}",
            opened,
            until,
        )
    console.print(table)
