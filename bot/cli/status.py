"""`hokoku status`: how far along the round is, for the office at a glance (or as JSON)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, fail, print_json, runtime, words
from bot.cli.indicator import indicator_table
from bot.cli.sessions import reading
from bot.cli.summary import LangOption, SummaryOption, print_summary
from bot.cli.texts import H
from handlers import renderers
from handlers.committee.compare import Comparison, GradeTally, compare_rounds
from handlers.committee.indicators import indicator_status
from handlers.committee.summary_text import summary_text
from handlers.i18n import Translator
from handlers.organization.directory import find_department
from handlers.reporting.rounds import state_label
from handlers.reporting.status import (
    DepartmentStatus,
    StatusSummary,
    describe_channels,
    summarize,
)
from handlers.scale import GradeScale

BAR_WIDTH = 20


def bar(done: int, total: int) -> str:
    """The chat's progress bar, twice as wide for the terminal."""
    return renderers.bar(done, total, BAR_WIDTH)


def deadline_note(t: Translator, summary: StatusSummary, today: date) -> str:
    if summary.closed:
        return t("cli.status.deadline.closed")
    days = (summary.deadline - today).days
    if days > 0:
        return t.plural("cli.status.deadline.left", days)
    if days == 0:
        return t("cli.status.deadline.today")
    return t.plural("cli.status.deadline.past", -days)


def _department_order(summary: StatusSummary) -> list[DepartmentStatus]:
    """After the deadline the departments still owing answers come first, most overdue first;
    otherwise (and among equals) the handler's order: 50音 by reading, else plan order."""
    if not summary.past_deadline:
        return list(summary.departments)
    return sorted(summary.departments, key=lambda d: -d.overdue)


def render(
    t: Translator, summary: StatusSummary, *, today: date, scale: GradeScale, top_label: str
) -> None:
    state = t.render(state_label(summary.closed))
    console.print(
        f"[bold]{escape(t.fiscal_year(summary.fiscal_year))} {escape(summary.plan_title)}[/]"
        + escape(
            t(
                "cli.status.head",
                round=summary.round_id,
                state=state,
                deadline=summary.deadline.isoformat(),
                note=deadline_note(t, summary, today),
            )
        ),
        highlight=False,
    )
    console.print(
        escape(
            t(
                "cli.status.answered",
                submitted=summary.submitted,
                total=summary.total,
                percent=summary.percent,
            )
        )
        + f" {bar(summary.submitted, summary.total)}",
        highlight=False,
    )
    if summary.channels:
        console.print(
            t("status.channels_line", channels=describe_channels(t, summary.channels)),
            highlight=False,
            markup=False,
        )

    grades = Table(title=t("cli.status.grades.title"), title_justify="left")
    grades.add_column(t("cli.status.column.grade"))
    grades.add_column(t("cli.status.column.meaning"))
    grades.add_column(t("cli.status.column.count"), justify="right")
    labels = {g.letter: g.describe().removeprefix(g.letter).strip() for g in scale.grades}
    for letter, count in summary.grades.items():
        grades.add_row(letter, labels.get(letter, ""), str(count))
    grades.add_row(t("cli.status.unanswered"), "", str(summary.total - summary.submitted))
    console.print(grades)

    departments = Table(title=t("cli.status.departments.title"), title_justify="left")
    departments.add_column(t("cli.status.column.department"))
    departments.add_column(t("cli.status.column.answered"), justify="right")
    departments.add_column(t("cli.status.column.progress"))
    departments.add_column(t("cli.status.unanswered"), justify="right")
    departments.add_column(t("status.channels"))
    for dept in _department_order(summary):
        style = "red" if dept.overdue else ""
        departments.add_row(
            Text(dept.name, style=style),
            f"{dept.submitted}/{dept.total}",
            bar(dept.submitted, dept.total),
            Text(str(dept.pending), style=style),
            Text(describe_channels(t, dept.channels)),
        )
    console.print(departments)

    if summary.levels:
        levels = Table(title=t("cli.status.per", what=top_label), title_justify="left")
        levels.add_column(top_label)
        levels.add_column(t("cli.status.column.answered"), justify="right")
        levels.add_column(t("cli.status.column.progress"))
        for level in summary.levels:
            levels.add_row(
                f"{level.label} {level.title}".strip(),
                f"{level.submitted}/{level.total}",
                bar(level.submitted, level.total),
            )
        console.print(levels)
    if summary.overdue_departments:
        overdue = t(
            "cli.status.overdue",
            departments=len(summary.overdue_departments),
            slots=sum(d.overdue for d in summary.overdue_departments),
        )
        console.print(f"[red]{escape(overdue)}[/]", highlight=False)


def render_comparison(t: Translator, comparison: Comparison, *, top_label: str) -> None:
    """Rose / fell / stayed per goal and per department, against the previous round."""
    previous = comparison.previous_fiscal_year
    title = t(
        "cli.status.compare.title",
        year=t.fiscal_year(previous) if previous is not None else "",
        round=comparison.previous_round_id,
    )
    department = t("cli.status.column.department")
    for heading, rows in (
        (top_label, (*comparison.goals, comparison.overall)),
        (department, (*comparison.departments, comparison.overall)),
    ):
        table = Table(
            title=t("cli.status.compare.per", title=title, what=heading), title_justify="left"
        )
        table.add_column(heading)
        for column in ("rose", "fell", "same", "unmatched"):
            table.add_column(t(f"cli.status.compare.{column}"), justify="right")
        for row in rows:
            table.add_row(*_movement_cells(t, row))
        console.print(table)


def _movement_cells(t: Translator, row: GradeTally) -> list[str]:
    counts = (row.improved, row.worsened, row.same, row.unmatched)
    return [row.label or t("compare.total"), *(str(n) for n in counts)]


def status_cmd(
    ctx: typer.Context,
    round_ref: Annotated[
        str | None,
        typer.Option("--round", help=H("cli.status.status.round_ref")),
    ] = None,
    dept: Annotated[str | None, typer.Option("--dept", help=H("cli.status.status.dept"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.status.status.as_json"))] = False,
    with_compare: Annotated[
        bool,
        typer.Option("--compare", help=H("cli.status.status.with_compare")),
    ] = False,
    summary_only: SummaryOption = False,
    lang: LangOption = None,
) -> None:
    """Progress of the round: counts, grades, per department and per top level, indicators."""
    t = words()
    if summary_only and dept is not None:
        fail(t("cli.status.summary_with_dept"))
    rt = runtime(ctx)
    today = rt.today()
    with reading(rt, round_ref) as work:
        session, rnd = work.session, work.round
        department_id = None
        if dept is not None:
            department_id = find_department(
                session, organization_id=rt.organization_id, name=dept
            ).id
        summary = summarize(session, round_id=rnd.id, today=today, department_id=department_id)
        indicators = indicator_status(session, round_id=rnd.id, department_id=department_id)
        comparison = (
            compare_rounds(
                session, round_id=rnd.id, department_id=department_id, require_previous=True
            )
            if with_compare
            else None
        )
        labels = rnd.plan.level_labels
        top_label = str(labels[0]) if labels else t("cli.status.level")
        scale = GradeScale.from_json(rnd.scale)
        text = summary_text(compare_rounds(session, round_id=rnd.id)) if summary_only else None
    if text is not None:
        print_summary(summary, text, lang=lang or t.language, as_json=as_json)
        return
    if as_json:
        data = summary.to_json()
        data["indicators"] = [indicator.to_json() for indicator in indicators]
        if comparison is not None:
            data["compare"] = comparison.to_json()
        print_json(data)
        return
    render(t, summary, today=today, scale=scale, top_label=top_label)
    if indicators:
        console.print(indicator_table(t, indicators, title=t("cli.status.indicators")))
    if comparison is not None:
        render_comparison(t, comparison, top_label=top_label)
