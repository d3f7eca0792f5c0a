"""`hokoku dept email NAME [ADDRESS…] [--remove] [--office] [--language]`: a department's
e-mail addresses (handlers.organization.mail_addresses), in HOKOKU_LANGUAGE.

Every address is checked before anything is stored: one bad address stores none.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text

from bot.cli.common import console, err_console, fail, print_json, user_errors, words
from bot.cli.options import os_user
from bot.cli.sessions import reading, writing
from bot.platforms import configured_platforms
from bot.runtime import Runtime
from handlers.i18n import Translator, normalize_language
from handlers.organization.directory import find_department
from handlers.organization.mail_addresses import (
    LinkedAddress,
    add_addresses,
    department_addresses,
    parse_addresses,
    remove_addresses,
)
from models import PLATFORM_EMAIL


def _role(t: Translator, linked: LinkedAddress) -> str:
    return t("cli.dept.email.role.office" if linked.office else "cli.dept.email.role.member")


def _shown(t: Translator, linked: LinkedAddress) -> str:
    if not linked.name:
        return linked.address
    return t("cli.dept.email.person", address=linked.address, name=linked.name)


def _as_json(linked: LinkedAddress) -> dict[str, object]:
    return {
        "address": linked.address,
        "name": linked.name,
        "role": linked.role,
        "language": linked.language,
        "failed_due": linked.failed_due.isoformat() if linked.failed_due else None,
        "failed_error": linked.failed_error,
    }


def _print(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _list(t: Translator, rt: Runtime, *, department: str, rows: list[LinkedAddress]) -> None:
    if not rows:
        _print(t("cli.dept.email.none", department=department))
        return
    table = Table(title=t("cli.dept.email.heading", department=department))
    for column in ("address", "name", "role", "language", "failed"):
        table.add_column(t(f"cli.dept.email.column.{column}"))
    for row in rows:
        failed = (
            f"{row.failed_due.astimezone(ZoneInfo(rt.settings.timezone)):%Y-%m-%d} {row.failed_error}"
            if row.failed_due
            else "—"
        )
        table.add_row(
            Text(row.address),
            Text(row.name or "—"),
            _role(t, row),
            row.language or t("cli.dept.email.language.default"),
            Text(failed),
        )
    console.print(table)


def email_command(
    rt: Runtime,
    *,
    dept: str,
    addresses: list[str],
    remove: bool,
    office: bool,
    language: str | None,
    as_json: bool,
) -> None:
    t = words()
    chosen = normalize_language(language) if language is not None else None
    if language is not None and chosen is None:
        fail(t("cli.dept.email.language_invalid", value=language))
    actor = f"cli:{os_user()}"
    with user_errors():
        parsed = parse_addresses(addresses) if addresses else []
    # A list only reads (never SQLite's writer lock); adding and removing write.
    with writing(rt) if parsed else reading(rt) as work:
        session = work.session
        department = find_department(session, organization_id=rt.organization_id, name=dept)
        name = department.name
        if not parsed:
            rows = department_addresses(session, department=department)
        elif remove:
            removed = remove_addresses(
                session, department=department, addresses=parsed, actor=actor
            )
        else:
            rows = add_addresses(
                session,
                department=department,
                addresses=parsed,
                office=office,
                language=chosen,
                actor=actor,
            )
    if parsed and remove:
        if as_json:
            print_json([{"address": p.address, "removed": was} for p, was in removed])
            return
        for address, was in removed:
            key = "cli.dept.email.removed" if was else "cli.dept.email.not_linked"
            _print(t(key, address=address.address, department=name))
        return
    if as_json:
        print_json({"department": name, "addresses": [_as_json(row) for row in rows]})
        return
    if not parsed:
        _list(t, rt, department=name, rows=rows)
        return
    for row in rows:
        _print(
            t("cli.dept.email.added", address=_shown(t, row), department=name, role=_role(t, row))
        )
    if PLATFORM_EMAIL not in configured_platforms(rt.settings):
        err_console.print(
            t("cli.dept.email.unconfigured"), highlight=False, markup=False, soft_wrap=True
        )
