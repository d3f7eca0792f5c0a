"""The console chat adapter: a terminal chat with the bot through the shared text protocol.

Who is talking: the console identity `console:<name>` (the OS user or `--as NAME`). With
`--dept D` that identity is linked to D through `link_identity`, exactly as a Slack or LINE
user is, so memberships, `link CODE`, the audit and `hokoku dept list` work the same for
the console; the session then speaks *as* D only (member role unless `--office`), even if
the same name is linked to other departments too. Without `--dept` it speaks with whatever
links the name already has (none: the bot explains how to link, and `link CODE` works).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console

from bot import intake
from bot.runtime import Runtime
from handlers.errors import HokokuError
from handlers.i18n import DEFAULT_LANGUAGE, LANGUAGES, FiscalYear, Translator, translator
from handlers.interaction import Actor, Reply
from handlers.interaction.intents import Text
from handlers.interaction.text import reply_text
from handlers.organization.directory import find_department
from handlers.organization.identities import ensure_linked
from handlers.ports import OutboundMessage, Target
from handlers.renderers import render_outbound
from handlers.reporting.rounds import ANSWER, resolve_round
from models.db import transaction

PLATFORM = "console"


def _exit_words() -> frozenset[str]:
    """What ends the console, in every language (`exit`, `終了` …)."""
    return frozenset(
        word.strip().lower()
        for language in LANGUAGES
        for word in translator(language)("console.exit.words").split(",")
    )


EXIT_WORDS = _exit_words()


@dataclass(frozen=True)
class ConsoleSession:
    """One terminal chat: who types, as which department and role, in which round."""

    organization_id: int
    reporter: str
    language: str = DEFAULT_LANGUAGE
    department_id: int | None = None
    department_name: str | None = None
    office: bool = False
    round_id: int | None = None

    def prompt(self, t: Translator) -> str:
        who = self.department_name or self.reporter
        return who + (t("link.office") if self.office else "")


def open_session(
    rt: Runtime,
    *,
    reporter: str,
    department: str | None = None,
    office: bool = False,
    round_ref: str | None = None,
) -> ConsoleSession:
    """Check the department and round, and link `console:<reporter>` to the department."""
    with transaction(rt.factory) as session:
        round_id = (
            resolve_round(
                session, organization_id=rt.organization_id, ref=round_ref, purpose=ANSWER
            ).id
            if round_ref
            else None
        )
        if department is None:
            return ConsoleSession(
                rt.organization_id,
                reporter,
                rt.settings.language,
                round_id=round_id,
            )
        dept = find_department(session, organization_id=rt.organization_id, name=department)
        ensure_linked(
            session, department=dept, platform=PLATFORM, external_id=reporter, office=office
        )
        return ConsoleSession(
            rt.organization_id,
            reporter,
            rt.settings.language,
            department_id=dept.id,
            department_name=dept.name,
            office=office,
            round_id=round_id,
        )


def _actor(cs: ConsoleSession) -> Actor:
    return Actor(
        organization_id=cs.organization_id,
        platform=PLATFORM,
        person=cs.reporter,
        chat_id=cs.reporter,
        language=cs.language,
        department_id=cs.department_id,
        office=cs.office,
        round_id=cs.round_id,
    )


def reply_to(rt: Runtime, cs: ConsoleSession, text: str) -> Reply:
    """One message, one transaction, through the intake Slack and LINE use."""
    reply = intake.run(rt, _actor(cs), Text(text))
    assert reply is not None  # the console has no redeliveries
    return reply


def say(rt: Runtime, cs: ConsoleSession, text: str) -> str:
    return reply_text(reply_to(rt, cs, text))


def greeting(rt: Runtime, cs: ConsoleSession) -> str:
    """What the terminal shows first: who speaks, the pending items (or status), the help."""
    t = translator(cs.language)
    who = t("console.title", who=cs.prompt(t), person=cs.reporter)
    with transaction(rt.reader) as session:
        try:
            rnd = resolve_round(
                session, organization_id=cs.organization_id, ref=cs.round_id, purpose=ANSWER
            )
            head = t(
                "console.round",
                year=FiscalYear(rnd.fiscal_year),
                plan=rnd.plan.display_title,
                round=rnd.id,
                deadline=rnd.deadline,
            )
        except HokokuError as exc:
            head = t.render(exc.msg)
    parts = [who, head]
    if cs.department_id is not None:
        parts.append(say(rt, cs, "status" if cs.office else "pending"))
    parts.append(say(rt, cs, "help"))
    parts.append(t("console.exit"))
    return "\n\n".join(parts)


def run_piped(
    rt: Runtime, cs: ConsoleSession, lines: Iterable[str], write: Callable[[str], None]
) -> int:
    """Scripted use: every non-blank input line is one message; returns how many were sent."""
    sent = 0
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.strip().lower() in EXIT_WORDS:
            break
        write(f"> {line}\n{say(rt, cs, line)}\n")
        sent += 1
    return sent


def _enable_line_editing() -> None:
    """Arrow keys, Home/End and ↑↓ history for input(), from the stdlib readline.

    Without it a terminal echoes `^[[A` for ↑. Loaded only for the interactive prompt
    (Windows' Python has no readline: plain input there).
    """
    try:
        importlib.import_module("readline")
    except ImportError:
        return


def prompt_text(cs: ConsoleSession) -> str:
    """The prompt, bold cyan; the colour codes are wrapped in \\001/\\002 so that readline
    knows they take no room and redraws recalled lines in the right place."""
    return f"\001\033[1;36m\002{cs.prompt(translator(cs.language))}>\001\033[0m\002 "


def run_interactive(rt: Runtime, cs: ConsoleSession, console: Console) -> None:
    """A prompt with line editing until exit / Ctrl-D / Ctrl-C."""
    _enable_line_editing()
    console.print(greeting(rt, cs), markup=False, highlight=False)
    while True:
        console.print()
        try:
            line = input(prompt_text(cs))
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if line.strip().lower() in EXIT_WORDS:
            return
        if not line.strip():
            continue
        console.print(say(rt, cs, line), markup=False, highlight=False)


def run(rt: Runtime, cs: ConsoleSession, *, stdin: TextIO | None = None) -> None:
    """Interactive on a terminal, one message per line when stdin is piped."""
    stream = stdin or sys.stdin
    if stream.isatty():
        run_interactive(rt, cs, Console())
    else:
        run_piped(rt, cs, stream, lambda text: print(text, flush=True))


class ConsoleMessenger:
    """The outbound port for the console: prints requests, reminders and digests as text."""

    platform = PLATFORM

    def __init__(self, out: TextIO | None = None, *, language: str = DEFAULT_LANGUAGE) -> None:
        self._out = out
        self._language = language

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        out = self._out or sys.stdout
        t = translator(target.language or self._language)
        text = "\n".join(render_outbound(t, message))
        out.write(f"── {PLATFORM}:{target.external_id} ({key})\n{text}\n\n")
        out.flush()
