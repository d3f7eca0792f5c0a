"""`hokoku dept`: departments, who is linked to them in chat, and one-time invite codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, fail, print_json, runtime, user_errors
from bot.cli.options import os_user
from handlers.departments import department_overview, unlink_from_department
from handlers.directory import find_department, resolve_plan
from handlers.errors import InvalidInput
from handlers.identities import create_invite, link_identity, unlink_identity
from models import ROLE_MEMBER, ROLE_OFFICE
from models.db import transaction

app = typer.Typer(help="担当課・チャットの登録・招待コード", no_args_is_help=True)


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
            raise InvalidInput(f"{self.option} に「{value}」は使えません（例: {self.example}）。")
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
        fail(
            "登録する相手を指定してください: --slack-user / --slack-channel / --line-user / "
            "--line-group / --console-user（招待コードなら hokoku dept invite）。"
        )
    return pairs


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    plan: Annotated[str | None, typer.Option("--plan", "-p", help="この計画の担当課だけ")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """担当課の一覧（担当項目数と登録済みのチャット）。

    Departments with their number of items and their linked chat identities."""
    rt = runtime(ctx)
    with user_errors(), transaction(rt.factory) as session:
        plan_id = (
            resolve_plan(session, organization_id=rt.organization_id, ref=plan).id if plan else None
        )
        rows = department_overview(session, organization_id=rt.organization_id, plan_id=plan_id)
    if as_json:
        print_json(
            [
                {
                    "name": d.name,
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
    if not rows:
        console.print(
            "担当課はまだありません（hokoku plan import で計画を取り込むと登録されます）。"
        )
        return
    table = Table(title="担当課")
    table.add_column("担当課")
    table.add_column("項目", justify="right")
    table.add_column("チャットの登録")
    for d in rows:
        linked = "\n".join(
            f"{i.platform}:{i.kind}:{i.external_id}{'（事務局）' if i.role == ROLE_OFFICE else ''}"
            for i in d.identities
        )
        table.add_row(Text(d.name), str(d.items), Text(linked or "—"))
    console.print(table)


@app.command("link")
def link_cmd(
    ctx: typer.Context,
    dept: Annotated[str, typer.Argument(help="担当課の名前")],
    slack_user: Annotated[IdList, typer.Option("--slack-user", help="Slack のユーザー ID")] = None,
    slack_channel: Annotated[
        IdList, typer.Option("--slack-channel", help="Slack のチャンネル ID")
    ] = None,
    line_user: Annotated[IdList, typer.Option("--line-user", help="LINE の userId")] = None,
    line_group: Annotated[
        IdList, typer.Option("--line-group", help="LINE の groupId / roomId")
    ] = None,
    console_user: Annotated[
        IdList, typer.Option("--console-user", help="hokoku console の利用者名")
    ] = None,
    office: Annotated[
        bool, typer.Option("--office", help="事務局として登録（全課の状況・出力・代理入力）")
    ] = False,
) -> None:
    """Slack・LINE の利用者・チャンネル・グループを担当課に登録する。

    Link chat users, channels or groups to a department (repeat options for several)."""
    rt = runtime(ctx)
    role = ROLE_OFFICE if office else ROLE_MEMBER
    with user_errors():
        pairs = _identities(slack_user, slack_channel, line_user, line_group, console_user)
        with transaction(rt.factory) as session:
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
                role_text = "事務局" if identity.role == ROLE_OFFICE else "担当者"
                console.print(
                    f"{spec.platform} {spec.kind} {value} → {department.name}（{role_text}）",
                    highlight=False,
                    soft_wrap=True,
                    markup=False,
                )


@app.command("unlink")
def unlink_cmd(
    ctx: typer.Context,
    dept: Annotated[
        str | None, typer.Argument(help="担当課の名前（省略時: すべての担当課から外す）")
    ] = None,
    slack_user: Annotated[IdList, typer.Option("--slack-user")] = None,
    slack_channel: Annotated[IdList, typer.Option("--slack-channel")] = None,
    line_user: Annotated[IdList, typer.Option("--line-user")] = None,
    line_group: Annotated[IdList, typer.Option("--line-group")] = None,
    console_user: Annotated[IdList, typer.Option("--console-user")] = None,
) -> None:
    """登録を外す（記録は監査用に残る）。

    Remove links (the rows stay, inactive, for the audit)."""
    rt = runtime(ctx)
    actor = f"cli:{os_user()}"
    with user_errors():
        pairs = _identities(slack_user, slack_channel, line_user, line_group, console_user)
        with transaction(rt.factory) as session:
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
                where = department.name if department else "すべての担当課"
                message = (
                    f"{spec.platform} {value} を{where}から外しました（{n}件）。"
                    if n
                    else f"{spec.platform} {value} は{where}に登録されていません。"
                )
                console.print(message, highlight=False, markup=False)


@app.command("invite")
def invite_cmd(
    ctx: typer.Context,
    dept: Annotated[str, typer.Argument(help="担当課の名前")],
    office: Annotated[bool, typer.Option("--office", help="事務局として招待")] = False,
    days: Annotated[int, typer.Option("--days", help="有効日数", min=1, max=365)] = 14,
    as_json: Annotated[bool, typer.Option("--json", help='{"code": …} を出力')] = False,
) -> None:
    """担当課の招待コード（1回限り・期限つき）を発行する。

    A one-time code that links whoever sends `link CODE` (LINE, console, Slack) to DEPT."""
    rt = runtime(ctx)
    role = ROLE_OFFICE if office else ROLE_MEMBER
    with user_errors(), transaction(rt.factory) as session:
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
    role_text = "事務局" if office else "担当者"
    console.print(
        f"招待コード: [bold]{code}[/]（{department.name}・{role_text}、"
        f"{expires:%Y-%m-%d %H:%M} まで有効、1回限り）\n"
        f"使い方: LINE・コンソール（hokoku console）では「link {code}」、"
        f"Slack では「/hokoku link {code}」と送ってください。",
        highlight=False,
        soft_wrap=True,
    )
