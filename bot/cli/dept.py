"""`hokoku dept`: departments, who is linked to them in chat, invite codes, 機構改革."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, fail, print_json, runtime, user_errors, words
from bot.cli.options import os_user
from bot.cli.sessions import reading, writing
from bot.cli.texts import H
from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.organization.departments import (
    department_overview,
    edit_department,
    unlink_from_department,
)
from handlers.organization.directory import find_department, resolve_plan
from handlers.organization.identities import create_invite, link_identity, unlink_identity
from handlers.organization.reorganize import merge_departments, rename_department
from models import ROLE_MEMBER, ROLE_OFFICE

app = typer.Typer(help=H("cli.dept.app"), no_args_is_help=True)


@dataclass(frozen=True)
class IdentityOption:
    """One `--slack-user`-style option: which platform and kind it links, what an id looks like."""

    option: str
    platform: str
    kind: str
    pattern: str
    example: str

    def check(self, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(self.pattern, value):
            raise InvalidInput(
                msg("cli.dept.id_invalid", option=self.option, value=value, example=self.example)
            )
        return value


SLACK_USER = IdentityOption("--slack-user", "slack", "user", r"[UW][A-Z0-9]+", "U01AB2CD3EF")
SLACK_CHANNEL = IdentityOption(
    "--slack-channel", "slack", "channel", r"[CG][A-Z0-9]+", "C01AB2CD3EF"
)
LINE_USER = IdentityOption("--line-user", "line", "user", r"U[0-9a-f]+", "U4af4980629…")
LINE_GROUP = IdentityOption("--line-group", "line", "group", r"[CR][0-9a-f]+", "Ca56f9463…")
CONSOLE_USER = IdentityOption("--console-user", "console", "user", r"\S+", "tanaka")

IdList = list[str] | None


def _identities(
    slack_user: list[str] | None,
    slack_channel: list[str] | None,
    line_user: list[str] | None,
    line_group: list[str] | None,
    console_user: list[str] | None,
) -> list[tuple[IdentityOption, str]]:
    given = [
        (SLACK_USER, slack_user),
        (SLACK_CHANNEL, slack_channel),
        (LINE_USER, line_user),
        (LINE_GROUP, line_group),
        (CONSOLE_USER, console_user),
    ]
    pairs = [(spec, spec.check(v)) for spec, values in given for v in values or ()]
    if not pairs:
        fail(words()("cli.dept.nobody"))
    return pairs


@app.command("list", help=H("cli.dept.list"))
def list_cmd(
    ctx: typer.Context,
    plan: Annotated[str | None, typer.Option("--plan", "-p", help=H("cli.dept.list.plan"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.dept.list.as_json"))] = False,
) -> None:
    """Departments with their items and chat links: 50音 by reading, else in plan order."""
    rt = runtime(ctx)
    with reading(rt) as work:
        session = work.session
        plan_id = (
            resolve_plan(session, organization_id=rt.organization_id, ref=plan).id if plan else None
        )
        rows = department_overview(session, organization_id=rt.organization_id, plan_id=plan_id)
    if as_json:
        print_json(
            [
                {
                    "name": d.name,
                    "reading": d.reading,
                    "former_names": list(d.former_names),
                    "items": d.items,
                    "identities": [
                        {
                            "platform": i.platform,
                            "kind": i.kind,
                            "id": i.external_id,
                            "role": i.role,
                        }
                        for i in d.identities
                    ],
                }
                for d in rows
            ]
        )
        return
    t = words()
    if not rows:
        console.print(t("cli.dept.none"), markup=False)
        return
    table = Table(title=t("cli.dept.title"))
    table.add_column(t("cli.dept.column.department"))
    table.add_column(t("cli.dept.column.items"), justify="right")
    table.add_column(t("cli.dept.column.links"))
    office = t("cli.dept.office_mark")
    for d in rows:
        linked = "\n".join(
            f"{i.platform}:{i.kind}:{i.external_id}{office if i.role == ROLE_OFFICE else ''}"
            for i in d.identities
        )
        name = Text(d.name)
        if d.reading:
            name.append(t("cli.dept.reading_mark", reading=d.reading), style="dim")
        if d.former_names:
            name.append("\n" + t("cli.dept.former", names=tuple(d.former_names)), style="dim")
        table.add_row(name, str(d.items), Text(linked or "—"))
    console.print(table)


@app.command("link", help=H("cli.dept.link"))
def link_cmd(
    ctx: typer.Context,
    dept: Annotated[str, typer.Argument(help=H("cli.dept.link.dept"))],
    slack_user: Annotated[
        IdList, typer.Option("--slack-user", help=H("cli.dept.link.slack_user"))
    ] = None,
    slack_channel: Annotated[
        IdList, typer.Option("--slack-channel", help=H("cli.dept.link.slack_channel"))
    ] = None,
    line_user: Annotated[
        IdList, typer.Option("--line-user", help=H("cli.dept.link.line_user"))
    ] = None,
    line_group: Annotated[
        IdList, typer.Option("--line-group", help=H("cli.dept.link.line_group"))
    ] = None,
    console_user: Annotated[
        IdList, typer.Option("--console-user", help=H("cli.dept.link.console_user"))
    ] = None,
    office: Annotated[bool, typer.Option("--office", help=H("cli.dept.link.office"))] = False,
) -> None:
    """Link chat users, channels or groups to a department (repeat options for several)."""
    rt = runtime(ctx)
    role = ROLE_OFFICE if office else ROLE_MEMBER
    with user_errors():
        pairs = _identities(slack_user, slack_channel, line_user, line_group, console_user)
        with writing(rt) as work:
            session = work.session
            department = find_department(session, organization_id=rt.organization_id, name=dept)
            for spec, value in pairs:
                identity = link_identity(
                    session,
                    department=department,
                    platform=spec.platform,
                    external_id=value,
                    kind=spec.kind,
                    role=role,
                    actor=f"cli:{os_user()}",
                )
                t = words()
                role_text = t(
                    "cli.dept.role.office"
                    if identity.role == ROLE_OFFICE
                    else "cli.dept.role.member"
                )
                console.print(
                    t(
                        "cli.dept.linked",
                        platform=spec.platform,
                        kind=spec.kind,
                        id=value,
                        department=department.name,
                        role=role_text,
                    ),
                    highlight=False,
                    soft_wrap=True,
                    markup=False,
                )


@app.command("unlink", help=H("cli.dept.unlink"))
def unlink_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Argument(help=H("cli.dept.unlink.dept"))] = None,
    slack_user: Annotated[IdList, typer.Option("--slack-user")] = None,
    slack_channel: Annotated[IdList, typer.Option("--slack-channel")] = None,
    line_user: Annotated[IdList, typer.Option("--line-user")] = None,
    line_group: Annotated[IdList, typer.Option("--line-group")] = None,
    console_user: Annotated[IdList, typer.Option("--console-user")] = None,
) -> None:
    """Remove links (the rows stay, inactive, for the audit)."""
    rt = runtime(ctx)
    actor = f"cli:{os_user()}"
    with user_errors():
        pairs = _identities(slack_user, slack_channel, line_user, line_group, console_user)
        with writing(rt) as work:
            session = work.session
            department = (
                find_department(session, organization_id=rt.organization_id, name=dept)
                if dept
                else None
            )
            for spec, value in pairs:
                if department is None:
                    n = unlink_identity(
                        session, platform=spec.platform, external_id=value, actor=actor
                    )
                else:
                    n = unlink_from_department(
                        session,
                        department=department,
                        platform=spec.platform,
                        external_id=value,
                        actor=actor,
                    )
                t = words()
                where = department.name if department else t("cli.dept.everywhere")
                message = (
                    t.plural("cli.dept.unlinked", n, platform=spec.platform, id=value, where=where)
                    if n
                    else t("cli.dept.not_linked", platform=spec.platform, id=value, where=where)
                )
                console.print(message, highlight=False, markup=False)


@app.command("invite", help=H("cli.dept.invite"))
def invite_cmd(
    ctx: typer.Context,
    dept: Annotated[str, typer.Argument(help=H("cli.dept.invite.dept"))],
    office: Annotated[bool, typer.Option("--office", help=H("cli.dept.invite.office"))] = False,
    days: Annotated[
        int, typer.Option("--days", help=H("cli.dept.invite.days"), min=1, max=365)
    ] = 14,
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.dept.invite.as_json"))] = False,
) -> None:
    """A one-time code that links whoever sends `link CODE` (LINE, console, Slack) to DEPT."""
    rt = runtime(ctx)
    role = ROLE_OFFICE if office else ROLE_MEMBER
    with writing(rt) as work:
        session = work.session
        department = find_department(session, organization_id=rt.organization_id, name=dept)
        invite = create_invite(session, department=department, role=role, ttl=timedelta(days=days))
        code = invite.code
        expires = invite.expires_at.astimezone(ZoneInfo(rt.settings.timezone))
    if as_json:
        print_json(
            {
                "code": code,
                "department": department.name,
                "role": role,
                "expires_at": expires.isoformat(),
            }
        )
        return
    t = words()
    role_text = t("cli.dept.role.office" if office else "cli.dept.role.member")
    details = t(
        "cli.dept.invite_details",
        department=department.name,
        role=role_text,
        expires=f"{expires:%Y-%m-%d %H:%M}",
        code=code,
    )
    console.print(
        f"{escape(t('cli.dept.invite_code'))} [bold]{escape(code)}[/]{escape(details)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("rename", help=H("cli.dept.rename"))
def rename_cmd(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help=H("cli.dept.rename.old"))],
    new: Annotated[str, typer.Argument(help=H("cli.dept.rename.new"))],
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.dept.rename.as_json"))] = False,
) -> None:
    """Rename a department; the old name still finds it (lookups, next year's plan table)."""
    rt = runtime(ctx)
    with writing(rt) as work:
        session = work.session
        outcome = rename_department(
            session, organization_id=rt.organization_id, old=old, new=new, actor=f"cli:{os_user()}"
        )
    if as_json:
        print_json({"department": outcome.new_name, "former_name": outcome.old_name})
        return
    console.print(
        words()("cli.dept.renamed", old=outcome.old_name, new=outcome.new_name),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command("merge", help=H("cli.dept.merge"))
def merge_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help=H("cli.dept.merge.source"))],
    target: Annotated[str, typer.Argument(help=H("cli.dept.merge.target"))],
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.dept.merge.as_json"))] = False,
) -> None:
    """Merge department A into B: assignments, answers with their history and chat links move."""
    rt = runtime(ctx)
    with writing(rt) as work:
        session = work.session
        outcome = merge_departments(
            session,
            organization_id=rt.organization_id,
            source=source,
            target=target,
            actor=f"cli:{os_user()}",
        )
    if as_json:
        print_json(
            {
                "department": outcome.target_name,
                "merged": outcome.source_name,
                "moved_assignments": outcome.moved_assignments,
                "shared_items": outcome.shared_items,
                "combined_answers": outcome.combined_answers,
                "moved_links": outcome.moved_links,
            }
        )
        return
    t = words()
    lines = [
        t(
            "cli.dept.merged",
            source=outcome.source_name,
            target=outcome.target_name,
            assignments=outcome.moved_assignments,
            links=outcome.moved_links,
        )
    ]
    if outcome.shared_items:
        lines.append(
            t(
                "cli.dept.merged_shared_answers"
                if outcome.combined_answers
                else "cli.dept.merged_shared",
                items=outcome.shared_items,
                answers=outcome.combined_answers,
            )
        )
    console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)


@app.command("edit", help=H("cli.dept.edit"))
def edit_cmd(
    ctx: typer.Context,
    dept: Annotated[str, typer.Argument(help=H("cli.dept.edit.dept"))],
    reading: Annotated[
        str,
        typer.Option("--reading", help=H("cli.dept.edit.reading")),
    ],
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.dept.edit.as_json"))] = False,
) -> None:
    """Set a department's reading (kana), used to list departments in 50音 order."""
    rt = runtime(ctx)
    with writing(rt) as work:
        session = work.session
        department = find_department(session, organization_id=rt.organization_id, name=dept)
        edit_department(session, department=department, reading=reading, actor=f"cli:{os_user()}")
        name, stored = department.name, department.reading
    if as_json:
        print_json({"department": name, "reading": stored})
        return
    t = words()
    console.print(
        t("cli.dept.reading_set", department=name, reading=stored)
        if stored
        else t("cli.dept.reading_cleared", department=name),
        highlight=False,
        markup=False,
    )
