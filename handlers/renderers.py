"""One renderer per concept, as plain-text lines in the reader's language.

Status, pending list, confirmation, refused lines, help, request/reminder and the office's
digest: the console prints these lines, LINE sends them as text, Slack lays the same lines
out in Block Kit sections (a heading line becomes a header block). Nothing else in hokoku
writes these texts; the numbers (percent, bar) and labels (item, last year's grade) they
share are defined here once (the hierarchy path: handlers.plan.nodes.hierarchy_path).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from handlers.committee.compare import Comparison
from handlers.committee.indicator_values import format_value
from handlers.committee.indicators import IndicatorOutcome, IndicatorStatus
from handlers.committee.summary_text import SummaryText
from handlers.i18n import Message, Translator
from handlers.ports import (
    PURPOSE_OVERDUE,
    PURPOSE_REMINDER,
    PURPOSE_REQUEST,
    OfficeDigest,
    OutboundMessage,
    PendingItem,
    RoundRequest,
    TextMessage,
    Unreachable,
)
from handlers.reporting.reports import DUPLICATE, REVISED, STORED, UNCHANGED, SubmitOutcome
from handlers.reporting.status import StatusSummary, percent
from handlers.scale import GradeScale

BAR_WIDTH = 10
MAX_LISTED = 20
# A reply lists at most this many answers or errors, then says how many more there were
# (a line is at most ~150 characters, so 100 lines stay far inside every limit):
# a 2,000-line message gets a summary that fits every platform (Slack 40,000 characters,
# LINE 5 × 5,000), never a reply that is cut or refused.
MAX_OUTCOMES_LISTED = 100
MAX_ERRORS_LISTED = 20

Lines = list[str]


class PendingSlot(Protocol):
    """What a pending list needs of a slot (SlotView and SlotState both have it)."""

    @property
    def item_number(self) -> int: ...

    @property
    def item_display(self) -> str: ...

    @property
    def grade(self) -> str | None: ...


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def percent_text(done: int, total: int) -> str:
    """`40%`, `33.3%`; an empty round is 0%."""
    return f"{percent(done, total):g}%"


def clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def item_label(number: int, display: str) -> str:
    """`[4] 3 男女共同参画研修の充実`: the number to type in brackets, then the source's code.

    Kiyose's 事業 codes restart per 施策, so a bare `4 3 …` left people guessing which number
    to type. When the source's own code is the number (`1 人権…`), it is shown once: `[1] 人権…`.
    """
    own = f"{number} "
    shown = display.removeprefix(own) if display.startswith(own) else display
    return f"[{number}] {clip(shown)}"


def previous_grade(t: Translator, grade: str | None) -> str:
    """Last year's grade as every list shows it: `（前年度 B）` / ` (last year: B)`."""
    return t("previous.short", grade=grade) if grade else ""


def more(t: Translator, count: int) -> str:
    return t.plural("list.more", count)


# --- answers ------------------------------------------------------------------------------

_VERBS = {STORED: "outcome.stored", UNCHANGED: "outcome.unchanged", DUPLICATE: "outcome.duplicate"}


def _verb(t: Translator, out: SubmitOutcome) -> str:
    if out.status == REVISED:
        return t("outcome.revised", revision=out.revision)
    return t(_VERBS[out.status])


def render_confirmation(t: Translator, outcomes: Sequence[SubmitOutcome]) -> Lines:
    """One line per answer; past MAX_OUTCOMES_LISTED a count per result and the first ones."""
    lines = []
    for out in outcomes[:MAX_OUTCOMES_LISTED]:
        comment = (
            t("confirm.comment", comment=clip(out.comment, 60))
            if out.comment
            else t("confirm.no_comment")
        )
        lines.append(
            t(
                "confirm.line",
                label=item_label(out.item_number, out.item_display),
                grade=out.grade,
                comment=comment,
                verb=_verb(t, out),
            )
        )
    if len(outcomes) > MAX_OUTCOMES_LISTED:
        counts = Counter(
            t("outcome.revised.short") if o.status == REVISED else t(_VERBS[o.status])
            for o in outcomes
        )
        summary = t.join(t.plural("confirm.count", n, verb=verb) for verb, n in counts.items())
        lines.insert(0, t.plural("confirm.many", len(outcomes), summary=summary))
        lines.append(t.plural("confirm.more", len(outcomes) - MAX_OUTCOMES_LISTED))
    return lines


def render_problems(
    t: Translator, problems: Sequence[tuple[int | None, Message]], *, lines: int
) -> Lines:
    """Why a message was refused, line by line; nothing of it was stored."""
    ordered = sorted(problems, key=lambda p: p[0] or 0)
    texts = [
        t("problem.line", line=line_no, text=t.render(message))
        if lines > 1 and line_no
        else t.render(message)
        for line_no, message in ordered[:MAX_ERRORS_LISTED]
    ]
    if len(ordered) > MAX_ERRORS_LISTED:
        texts.append(t.plural("problem.more", len(ordered) - MAX_ERRORS_LISTED))
    if lines > 1:
        texts.append(t("problem.nothing_stored"))
    return texts


def render_pending(t: Translator, slots: Sequence[PendingSlot], *, department_name: str) -> Lines:
    pending = [s for s in slots if s.grade is None]
    if not slots:
        return [t("pending.none_assigned", department=department_name)]
    if not pending:
        return [t.plural("pending.all_done", len(slots), department=department_name)]
    head = t("pending.head", department=department_name, pending=len(pending), total=len(slots))
    listed = [item_label(s.item_number, s.item_display) for s in pending[:MAX_LISTED]]
    if len(pending) > MAX_LISTED:
        listed.append(more(t, len(pending) - MAX_LISTED))
    return [head, *listed]


def render_missing(t: Translator, departments: Sequence[tuple[str, int]]) -> Lines:
    """The office's one line: which departments still owe answers, and how many."""
    listed = t.join(t("missing.department", department=n, count=c) for n, c in departments)
    return [t("missing.head", departments=listed or t("missing.none"))]


# --- status -------------------------------------------------------------------------------


def status_heading(t: Translator, summary: StatusSummary) -> str:
    state = (
        t("status.state.closed")
        if summary.closed
        else t("status.state.overdue")
        if summary.past_deadline
        else ""
    )
    return t(
        "status.head",
        year=t.fiscal_year(summary.fiscal_year),
        plan=summary.plan_title,
        deadline=t.date(summary.deadline),
        state=state,
    )


def render_status(
    t: Translator, summary: StatusSummary, *, office: bool, department_name: str | None = None
) -> Lines:
    """Heading, answered / total with a bar and percent, grades; the office also gets one
    line per department, overdue first, then the least complete, then by the plan's order."""
    lines = [t("status.department", department=department_name)] if department_name else []
    lines += [
        status_heading(t, summary),
        t(
            "status.progress",
            submitted=summary.submitted,
            total=summary.total,
            bar=bar(summary.submitted, summary.total),
            percent=percent_text(summary.submitted, summary.total),
        ),
        t("status.grades", grades="  ".join(f"{k}:{v}" for k, v in summary.grades.items())),
    ]
    if office:
        ordered = sorted(
            enumerate(summary.departments),
            key=lambda pair: (-pair[1].overdue, pair[1].submitted - pair[1].total, pair[0]),
        )
        for _, dept in ordered:
            lines.append(
                t(
                    "status.department_line",
                    mark=t("status.overdue_mark") if dept.overdue else "",
                    department=dept.name,
                    bar=bar(dept.submitted, dept.total),
                    submitted=dept.submitted,
                    total=dept.total,
                )
            )
    return lines


# --- indicators and last year -------------------------------------------------------------


def indicator_line(t: Translator, row: IndicatorStatus) -> str:
    """`・16 審議会の女性委員の割合: 今年度 62.3%（基準 40% → 目標 50%、進捗 124.6%）`."""
    return t(
        "indicator.line",
        number=row.number,
        name=row.name,
        value=format_value(row.value, row.unit)
        if row.value is not None
        else t("indicator.no_value"),
        baseline=format_value(row.baseline_value, row.unit),
        target=format_value(row.target_value, row.unit),
        progress=f"{row.progress:g}%" if row.progress is not None else "—",
        mark=t("indicator.behind_mark") if row.on_track is False else "",
    )


def render_indicators(
    t: Translator, rows: Sequence[IndicatorStatus], *, department_name: str | None = None
) -> Lines:
    """A heading, then one line per indicator (the first MAX_LISTED, then how many more)."""
    heading = (
        t("indicator.heading.department", department=department_name)
        if department_name
        else t("indicator.heading")
    )
    if not rows:
        return [heading, t("indicator.none_yours")]
    lines = [heading, *(indicator_line(t, row) for row in rows[:MAX_LISTED])]
    if len(rows) > MAX_LISTED:
        lines.append(t.plural("indicator.more", len(rows) - MAX_LISTED))
    return lines


def render_indicator_outcome(t: Translator, out: IndicatorOutcome) -> Lines:
    verb = (
        t("outcome.revised", revision=out.revision)
        if out.status == REVISED
        else t(_VERBS[out.status])
    )
    who = out.department_name or t("indicator.office")
    return [
        t("indicator.reported", number=out.number, name=out.name, value=out.display, verb=verb),
        t("indicator.reported_by", who=who),
    ]


def render_year_over_year(t: Translator, comparison: Comparison, summary: SummaryText) -> Lines:
    """Rose / fell / stayed overall and per goal, then the committee's summary sentences."""
    if comparison.previous_round_id is None:
        lines = [t("compare.no_previous")]
    else:
        lines = [t("compare.heading", previous=comparison.previous_label or "")]
        for tally in (comparison.overall, *comparison.goals):
            lines.append(
                t(
                    "compare.line",
                    name=tally.label or t("compare.total"),
                    rose=tally.improved,
                    fell=tally.worsened,
                    same=tally.same,
                    unmatched=tally.unmatched,
                )
            )
    lines.append(t("compare.summary"))
    lines += [f"  {line}" for line in summary.lines(t.language)]
    return lines


# --- help ---------------------------------------------------------------------------------


def render_help(
    t: Translator,
    commands: Sequence[tuple[str, Message]],
    *,
    prefix: str,
    scale: GradeScale | None,
) -> Lines:
    grades = scale.hint() if scale else "A／B／C／D"
    lines = [t("help.title"), t("help.answer"), t("help.example", grades=grades)]
    lines += [
        t("help.command", command=f"{prefix}{name}", usage=t.render(u)) for name, u in commands
    ]
    if prefix:
        lines.append(t("help.dm"))
    if scale and any(g.label or g.band for g in scale.grades):
        lines.append(t("help.legend", legend=t.join(g.describe() for g in scale.grades)))
    return lines


# --- outbound: request / reminder / overdue, digest, notices ------------------------------

_REQUEST_TITLES = {
    PURPOSE_REQUEST: "request.title",
    PURPOSE_REMINDER: "request.title.reminder",
    PURPOSE_OVERDUE: "request.title.overdue",
}


def pending_items(t: Translator, pending: Sequence[PendingItem], *, indent: str = "") -> Lines:
    lines = [
        f"{indent}{item_label(item.number, item.display)}{previous_grade(t, item.previous_grade)}"
        for item in pending[:MAX_LISTED]
    ]
    if len(pending) > MAX_LISTED:
        lines.append(indent + more(t, len(pending) - MAX_LISTED))
    return lines


def request_title(t: Translator, message: RoundRequest) -> str:
    return t(
        _REQUEST_TITLES.get(message.purpose, "request.title"),
        year=t.fiscal_year(message.fiscal_year),
        plan=message.plan_title,
    )


def render_request(t: Translator, message: RoundRequest) -> Lines:
    """The ask to a department: title, what, by when, the pending items, how to answer."""
    return [
        request_title(t, message),
        t("request.greeting", department=message.department_name),
        t(
            "request.counts",
            deadline=t.date(message.deadline),
            total=message.total_items,
            pending=len(message.pending),
        ),
        *pending_items(t, message.pending),
        t("request.how", grades="／".join(message.grades)),
    ]


def render_digest(t: Translator, message: OfficeDigest) -> Lines:
    """The office's brief: progress and every department still missing, with its items."""
    lines = [
        t(
            "digest.head",
            year=t.fiscal_year(message.fiscal_year),
            plan=message.plan_title,
            deadline=t.date(message.deadline),
        ),
        t(
            "digest.progress",
            submitted=message.submitted,
            total=message.total,
            bar=bar(message.submitted, message.total),
            percent=percent_text(message.submitted, message.total),
        ),
    ]
    if not message.missing:
        lines.append(t("digest.none_missing"))
    else:
        lines.append(t("digest.missing_head"))
        for line in message.missing:
            lines.append(
                t("digest.department", department=line.department_name, count=len(line.pending))
            )
            lines.extend(pending_items(t, line.pending, indent="  "))
    lines.extend(unreachable_line(t, entry) for entry in message.unreachable)
    return lines


MAX_DEPARTMENTS_LISTED = 10


def _departments(t: Translator, names: Sequence[str]) -> str:
    listed = t.join(names[:MAX_DEPARTMENTS_LISTED])
    more = len(names) - MAX_DEPARTMENTS_LISTED
    return t("departments.more", listed=listed, count=more) if more > 0 else listed


def _platform(t: Translator, platform: str) -> tuple[str, str]:
    """A platform's name and what to set to switch it on (docs/operations.md, "Settings")."""
    name = t(f"platform.{platform}") if t.has(f"platform.{platform}") else platform
    configure_id = f"platform.configure.{platform}"
    configure = (
        t(configure_id) if t.has(configure_id) else t("platform.configure.other", platform=name)
    )
    return name, configure


def unconfigured_notice(
    t: Translator, platform: str, *, count: int, departments: Sequence[str], linked: bool = False
) -> str:
    """Why targets on a platform that is not configured get nothing, and what to set.

    `linked`: `count` is linked targets (start-up, schedule), else messages held.
    """
    name, configure = _platform(t, platform)
    return t(
        "unconfigured.linked" if linked else "unconfigured.held",
        platform=name,
        count=count,
        departments=_departments(t, departments),
        configure=configure,
    )


def unreachable_line(t: Translator, entry: Unreachable) -> str:
    """The digest's line for departments that only a platform not configured reaches."""
    name, configure = _platform(t, entry.platform)
    return t(
        "digest.unreachable",
        platform=name,
        departments=_departments(t, entry.departments),
        configure=configure,
    )


def render_outbound(t: Translator, message: OutboundMessage) -> Lines:
    """The plain text of any outbound message."""
    if isinstance(message, RoundRequest):
        return render_request(t, message)
    if isinstance(message, OfficeDigest):
        return render_digest(t, message)
    assert isinstance(message, TextMessage)
    return [t.render(message.message)]


def text(lines: Sequence[str]) -> str:
    return "\n".join(lines)
