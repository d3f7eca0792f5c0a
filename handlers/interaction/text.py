"""A reply as plain text: the whole reply on the console and in LINE texts, Slack's
fallback text. Every part goes through its one renderer (handlers.renderers)."""

from __future__ import annotations

from handlers.i18n import Message, Translator, translator
from handlers.interaction.reply import (
    ANSWER,
    Changes,
    ChartFile,
    ChartPicture,
    Choice,
    CommentPrompt,
    Confirmation,
    ExportFile,
    FormErrors,
    FormView,
    Help,
    Home,
    IndicatorReported,
    Indicators,
    ItemCards,
    MissingDepartments,
    Part,
    Pending,
    Problems,
    Reply,
    Say,
    SignInLink,
    Status,
    YearOverYear,
)
from handlers.renderers import (
    render_changes,
    render_confirmation,
    render_help,
    render_indicator_outcome,
    render_indicators,
    render_missing,
    render_pending,
    render_problems,
    render_status,
    render_year_over_year,
)


def help_commands(t: Translator, names: tuple[str, ...]) -> list[tuple[str, Message]]:
    """How each command is typed in this language, and what it does."""
    return [(t(f"command.{name}"), Message(f"command.{name}.usage")) for name in names]


def part_lines(t: Translator, part: Part) -> list[str]:
    """The lines of one part (empty for parts that only a richer layout shows)."""
    if isinstance(part, Say):
        return [t.render(part.message)]
    if isinstance(part, Confirmation):
        return render_confirmation(t, part.outcomes)
    if isinstance(part, Pending):
        return render_pending(t, part.slots, department_name=part.department_name)
    if isinstance(part, MissingDepartments):
        return render_missing(t, part.departments)
    if isinstance(part, Status):
        return render_status(
            t, part.summary, office=part.office, department_name=part.department_name
        )
    if isinstance(part, Problems):
        found = [(p.line_no, p.message) for p in part.problems]
        return render_problems(t, found, lines=part.lines)
    if isinstance(part, Help):
        return render_help(t, help_commands(t, part.commands), prefix=part.prefix, scale=part.scale)
    if isinstance(part, Choice):
        names = t.join(m.department_name for m in part.options)
        hint = "choice.typed.answer" if part.then == ANSWER else "choice.typed.form"
        return [t.render(part.prompt), t(hint, departments=names)]
    if isinstance(part, CommentPrompt):
        return [t("comment.prompt")]
    if isinstance(part, FormErrors):
        return [t.render(m) for m in part.errors.values()]
    if isinstance(part, Home):
        if part.status is not None:
            return render_status(t, part.status, office=True)
        return [
            line
            for section in part.sections
            for line in render_pending(
                t, section.slots, department_name=section.member.department_name
            )
        ]
    if isinstance(part, Indicators):
        return render_indicators(t, part.rows, department_name=part.department_name)
    if isinstance(part, IndicatorReported):
        return render_indicator_outcome(t, part.outcome)
    if isinstance(part, Changes):
        return [t.render(part.heading), *render_changes(t, part.changes)]
    if isinstance(part, YearOverYear):
        return render_year_over_year(t, part.comparison, part.summary)
    if isinstance(part, SignInLink):
        role = t("web.link.office") if part.office else ""
        return [
            t("web.link.sent", department=part.department_name, role=role, minutes=part.minutes),
            part.url,
        ]
    assert isinstance(part, ItemCards | FormView | ExportFile | ChartFile | ChartPicture)
    return []


def reply_text(reply: Reply, *, parts: tuple[Part, ...] | None = None) -> str:
    """The reply's parts as paragraphs (`parts`: only these, e.g. those a layout leaves)."""
    t = translator(reply.language)
    paragraphs = [
        "\n".join(lines)
        for part in (reply.parts if parts is None else parts)
        if (lines := part_lines(t, part))
    ]
    return "\n\n".join(paragraphs)
