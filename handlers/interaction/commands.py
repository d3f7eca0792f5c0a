"""The commands every channel shares: typed in chat (`状況`), after `/hokoku` on Slack,
or on the console. One table; help is generated from it.

Adding a command is one entry in COMMANDS: a function `(turn, argument) -> Reply`, its
canonical name and other spellings, and two catalog ids in both languages
(`command.<name>`: how it is typed, `command.<name>.usage`: what it does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from handlers.committee.compare import compare_rounds
from handlers.committee.indicator_values import parse_indicator_argument
from handlers.committee.indicators import find_indicator, indicator_status, report_indicator_value
from handlers.committee.summary_text import summary_text
from handlers.errors import HokokuError, PermissionDenied
from handlers.i18n import msg, normalize_language, translator
from handlers.interaction.access import not_linked
from handlers.interaction.answers import choose_department, item_cards
from handlers.interaction.forms import open_form
from handlers.interaction.intents import ChooseDepartment, OpenForm
from handlers.interaction.reply import (
    ANSWER,
    FORM,
    ChartFile,
    Choice,
    ExportFile,
    Help,
    IndicatorReported,
    Indicators,
    MissingDepartments,
    Part,
    Pending,
    Reply,
    Say,
    SignInLink,
    Status,
    YearOverYear,
)
from handlers.interaction.turn import Turn
from handlers.normalize import fold_key
from handlers.organization.directory import find_department
from handlers.organization.identities import redeem_invite, set_language
from handlers.organization.web_access import LINK_TTL, create_link
from handlers.reporting.reports import department_slots
from handlers.reporting.rounds import RoundHeader
from handlers.reporting.status import StampedCache, progress_stamp, summarize
from handlers.scale import GradeScale
from models import Department

Run = Callable[[Turn, str], Reply]


@dataclass(frozen=True)
class Command:
    name: str  # canonical, typed in any language
    words: tuple[str, ...]  # other spellings
    run: Run
    linked_only: bool = True  # before the chat is linked it answers how to link instead


# The office's whole-round status (every department, last year beside it, the indicators)
# is the costliest answer in chat; people ask for it again and again while answers trickle
# in. It is kept per process and used again while the round's answers (and last year's)
# and indicator values are unchanged: the same parts, the same objects, so an adapter may
# keep what it rendered of them too.
_OFFICE_STATUS: StampedCache[tuple[Part, ...]] = StampedCache(ttl=timedelta(seconds=60))


def _office_status(turn: Turn, rnd: RoundHeader) -> tuple[Part, ...]:
    def make() -> tuple[Part, ...]:
        session = turn.session
        summary = summarize(session, round_id=rnd.id, today=turn.today)
        comparison = compare_rounds(session, round_id=rnd.id, per_department=False)
        indicators = indicator_status(session, round_id=rnd.id)
        return (
            Status(summary, office=True),
            YearOverYear(comparison, summary_text(comparison)),
            *((Indicators(indicators),) if indicators else ()),
        )

    stamp = progress_stamp(turn.session, rnd=rnd)
    return _OFFICE_STATUS.get((rnd.id, turn.today), stamp, turn.now, make)


def _status(turn: Turn, _arg: str) -> Reply:
    rnd = turn.view_round_header()
    if turn.caller.office:
        return turn.reply(*_office_status(turn, rnd))
    return turn.reply(
        *(
            Status(
                summarize(
                    turn.session, round_id=rnd.id, today=turn.today, department_id=m.department_id
                ),
                office=False,
                department_name=m.department_name,
            )
            for m in turn.acting()
        )
    )


def _pending(turn: Turn, _arg: str) -> Reply:
    """What is still unanswered: the department's items (with cards when it is one), and
    for the office the departments that still owe answers."""
    rnd = turn.open_round()
    acting = turn.acting()
    parts: list[Pending | MissingDepartments] = []
    cards = None
    for member in acting:
        slots = department_slots(
            turn.session, round_id=rnd.id, department_id=member.department_id, with_paths=False
        )
        parts.append(Pending(member.department_name, tuple(slots)))
        if len(acting) == 1:
            cards = item_cards(rnd, member, slots)
    if turn.caller.office:
        summary = summarize(turn.session, round_id=rnd.id, today=turn.today)
        parts.append(
            MissingDepartments(tuple((d.name, d.pending) for d in summary.departments if d.pending))
        )
    return turn.reply(*parts, *((cards,) if cards else ()))


def _report(turn: Turn, arg: str) -> Reply:
    """Answer a department's items: the form where there is one, else the item cards.
    The office names any department (`report 道路課`) and answers for it as a proxy."""
    rnd = turn.view_round()
    if arg:
        department_id = _named_department(turn, arg)
    else:
        acting = turn.acting()
        if len(acting) > 1:
            names = translator(turn.language).join(m.department_name for m in acting)
            prompt = msg("choose.form", departments=names)
            return turn.reply(Choice(prompt, acting, FORM, round_id=rnd.id))
        if not acting:
            return turn.say(not_linked(turn.session, turn.actor))
        department_id = acting[0].department_id
    return open_form(turn, OpenForm(rnd.id, department_id))


def _named_department(turn: Turn, name: str) -> int:
    """A department typed by name: one of the chat's own, or (office) any."""
    if turn.caller.office:
        return find_department(
            turn.session, organization_id=turn.actor.organization_id, name=name
        ).id
    for member in turn.caller.memberships:
        if fold_key(member.department_name) == fold_key(name):
            return member.department_id
    names = translator(turn.language).join(m.department_name for m in turn.caller.memberships)
    raise PermissionDenied(msg("access.not_registered_for", name=name[:40], departments=names))


def _dept(turn: Turn, arg: str) -> Reply:
    """Which department this chat answers for from now on (a day)."""
    if not arg:
        names = translator(turn.language).join(m.department_name for m in turn.acting())
        prompt = msg("department.current", departments=names)
        return turn.reply(Choice(prompt, turn.caller.memberships, ANSWER))
    return choose_department(turn, ChooseDepartment(_named_department(turn, arg)))


def _link(turn: Turn, arg: str) -> Reply:
    if not arg:
        return turn.say(msg("link.code_missing"))
    member = redeem_invite(
        turn.session,
        code=arg,
        platform=turn.actor.platform,
        external_id=turn.actor.chat_id,
        kind=turn.actor.chat_kind,
        sender=turn.actor.person,
        now=turn.now,
    )
    return turn.say(
        msg(
            "link.done.group" if turn.actor.in_group else "link.done.user",
            department=member.department_name,
            role=msg("link.office") if member.is_office else "",
        )
    )


def _language(turn: Turn, arg: str) -> Reply:
    language = normalize_language(arg)
    if language is None:
        return turn.say(msg("language.usage"))
    saved = set_language(
        turn.session,
        platform=turn.actor.platform,
        external_id=turn.actor.chat_id,
        language=language,
    )
    turn.language = language
    return turn.say(msg("language.set" if saved else "language.set_until_linked"))


def _export(turn: Turn, _arg: str) -> Reply:
    if not turn.caller.office:
        raise PermissionDenied(msg("access.office_only"))
    rnd = turn.view_round()
    if not turn.actor.surface.files:
        return turn.say(msg("export.not_here"))
    return turn.reply(Say(msg("export.started")), ExportFile(rnd.id))


def _indicator(turn: Turn, arg: str) -> Reply:
    """`指標`: the sender's indicators (the office: all); `指標 16`: one; `指標 16 62.3`: report
    this year's value, as the owning department, or as the office for it (audited)."""
    rnd = turn.view_round()
    command = parse_indicator_argument(arg)
    if command.number is None:
        if turn.caller.office:
            return turn.reply(Indicators(indicator_status(turn.session, round_id=rnd.id)))
        return turn.reply(
            *(
                Indicators(
                    indicator_status(turn.session, round_id=rnd.id, department_id=m.department_id),
                    department_name=m.department_name,
                )
                for m in turn.acting()
            )
        )
    indicator = find_indicator(turn.session, plan_id=rnd.plan_id, number=command.number)
    if command.value_text is None:
        rows = indicator_status(turn.session, round_id=rnd.id)
        return turn.reply(Indicators(tuple(r for r in rows if r.number == indicator.number)))
    own = turn.caller.member_of(indicator.department_id) if indicator.department_id else None
    if own is not None or not turn.caller.office:
        # Its department, or (not the owner) a department that report_indicator_value refuses.
        acting = own or (turn.acting() or turn.caller.memberships)[0]
        department_id: int | None = acting.department_id
    else:
        department_id = None  # the office: for the owning department a proxy, audited
    outcome = report_indicator_value(
        turn.session,
        round_id=rnd.id,
        department_id=department_id,
        number=indicator.number,
        value=command.value_text,
        reporter=turn.actor.person,
        channel=turn.actor.platform,
        source_key=turn.source_key,
        now=turn.now,
        audited=department_id is None and indicator.department_id is not None,
    )
    rows = indicator_status(turn.session, round_id=rnd.id)
    return turn.reply(
        IndicatorReported(outcome),
        Indicators(tuple(r for r in rows if r.number == indicator.number)),
    )


_CHART_WORDS = {
    "completion": "completion",
    "回答": "completion",
    "回答状況": "completion",
    "進捗": "completion",
    "grades": "grades",
    "達成度": "grades",
    "評価": "grades",
    "yoy": "yoy",
    "前年度": "yoy",
    "前年比": "yoy",
    "比較": "yoy",
    "year": "yoy",
}
_CHART_KINDS = {fold_key(word): kind for word, kind in _CHART_WORDS.items()}


CHART_TITLES = {
    "completion": "chart.title.completion",
    "grades": "chart.title.grades",
    "yoy": "chart.title.yoy",
}


def _chart(turn: Turn, arg: str) -> Reply:
    """`グラフ [回答|達成度|前年度]`: a chart of the round, uploaded (Slack) or shown from a
    published HTTPS URL (LINE), drawn after the platform's answer. The office's, like the
    export."""
    if not turn.caller.office:
        raise PermissionDenied(msg("access.office_only"))
    kind = _CHART_KINDS.get(fold_key(arg or "completion"))
    if kind is None:
        return turn.say(msg("chart.kinds", name=arg[:40]))
    rnd = turn.view_round()
    surface = turn.actor.surface
    if surface.files:
        return turn.reply(Say(msg("chart.started")), ChartFile(rnd.id, kind))
    if not surface.images:
        return turn.say(msg("chart.not_here"))
    if surface.public_url is None or not surface.public_url.startswith("https://"):
        return turn.say(msg("chart.no_public_url"))  # LINE fetches images over HTTPS only
    # Drawn and published by the adapter after the platform's answer (a first chart takes
    # about a second; LINE gives its webhook two).
    return turn.reply(Say(msg(CHART_TITLES[kind])), ChartFile(rnd.id, kind))


MAX_LINKS = 5  # one link per department a person answers for, up to this many


def _web(turn: Turn, _arg: str) -> Reply:
    """`ウェブ` / `web`: a one-time link to the web console for the sender's own role (the
    office's, else one per department they answer for). Only where no one else reads it."""
    actor = turn.actor
    if actor.in_group:
        return turn.say(msg("web.dm_only"))
    if actor.surface.public_url is None:
        return turn.say(msg("web.no_public_url"))
    members = turn.caller.memberships
    office = next((m for m in members if m.is_office), None)
    person = f"{actor.platform}:{actor.person}"
    minutes = int(LINK_TTL.total_seconds() // 60)
    links = []
    for member in (office,) if office else members[:MAX_LINKS]:
        issued = create_link(
            turn.session,
            department=turn.session.get_one(Department, member.department_id),
            role=member.role,
            person=person,
            created_by=person,
            now=turn.now,
            language=turn.language,
        )
        url = actor.surface.public_url + issued.path
        links.append(SignInLink(url, issued.department_name, issued.office, minutes))
    return turn.reply(*links)


def _help(turn: Turn, _arg: str) -> Reply:
    try:
        scale: GradeScale | None = GradeScale.from_json(turn.open_round().scale)
    except HokokuError:
        scale = None
    names = tuple(c.name for c in COMMANDS)
    return turn.reply(Help(names, turn.actor.surface.command_prefix, scale))


COMMANDS: tuple[Command, ...] = (
    Command("status", ("状況", "進捗"), _status),
    Command("pending", ("未回答",), _pending),
    Command("report", ("報告", "回答"), _report),
    Command("dept", ("担当課", "課"), _dept),
    Command("indicator", ("指標",), _indicator),
    Command("chart", ("グラフ",), _chart),
    Command("export", ("出力",), _export),
    Command("web", ("ウェブ", "ウエブ"), _web),
    Command("link", ("リンク",), _link, linked_only=False),
    Command("language", ("言語", "lang"), _language, linked_only=False),
    Command("help", ("ヘルプ", "使い方", "?"), _help, linked_only=False),
)

_BY_WORD = {fold_key(w): c for c in COMMANDS for w in (c.name, *c.words)}


def find_command(word: str) -> Command | None:
    """The command typed as `word` (any spelling, full- or half-width, any case)."""
    return _BY_WORD.get(fold_key(word))


def help_reply(turn: Turn) -> Reply:
    return _help(turn, "")
