"""`hokoku status`: how far along the round is, for the office at a glance (or as JSON)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, fail, print_json, runtime
from bot.cli.indicator import indicator_table
from bot.cli.sessions import reading
from bot.cli.summary import LangOption, SummaryOption, print_summary
from bot.cli.texts import H
from handlers import renderers
from handlers.committee.compare import TOTAL_NAME, Comparison, GradeTally, compare_rounds
from handlers.committee.indicators import indicator_status
from handlers.committee.summary_text import summary_text
from handlers.organization.directory import find_department
from handlers.reporting.status import DepartmentStatus, StatusSummary, summarize
from handlers.scale import GradeScale

BAR_WIDTH = 20


def bar(done: int, total: int) -> str:
    """The chat's progress bar, twice as wide for the terminal."""
    return renderers.bar(done, total, BAR_WIDTH)


def deadline_note(summary: StatusSummary, today: date) -> str:
    if summary.closed:
        return "締切済み"
    days = (summary.deadline - today).days
    if days > 0:
        return f"あと{days}日"
    if days == 0:
        return "本日締切"
    return f"締切を{-days}日過ぎています"


def _department_order(summary: StatusSummary) -> list[DepartmentStatus]:
    """After the deadline the departments still owing answers come first, most overdue first;
    otherwise (and among equals) the handler's order: 50音 by reading, else plan order."""
    if not summary.past_deadline:
        return list(summary.departments)
    return sorted(summary.departments, key=lambda d: -d.overdue)


def render(summary: StatusSummary, *, today: date, scale: GradeScale, top_label: str) -> None:
    state = "受付終了" if summary.closed else "受付中"
    console.print(
        f"[bold]{escape(summary.round_label)} {escape(summary.plan_title)}[/]"
        f"（回 {summary.round_id}・{state}）"
        f"  締切 {summary.deadline.isoformat()}（{deadline_note(summary, today)}）",
        highlight=False,
    )
    console.print(
        f"回答 {summary.submitted} / {summary.total} 件（{summary.percent}%） "
        f"{bar(summary.submitted, summary.total)}",
        highlight=False,
    )

    grades = Table(title="達成度の分布", title_justify="left")
    grades.add_column("達成度")
    grades.add_column("内容")
    grades.add_column("件数", justify="right")
    labels = {g.letter: g.describe().removeprefix(g.letter).strip() for g in scale.grades}
    for letter, count in summary.grades.items():
        grades.add_row(letter, labels.get(letter, ""), str(count))
    grades.add_row("未回答", "", str(summary.total - summary.submitted))
    console.print(grades)

    departments = Table(title="担当課別", title_justify="left")
    departments.add_column("担当課")
    departments.add_column("回答", justify="right")
    departments.add_column("進捗")
    departments.add_column("未回答", justify="right")
    for dept in _department_order(summary):
        style = "red" if dept.overdue else ""
        departments.add_row(
            Text(dept.name, style=style),
            f"{dept.submitted}/{dept.total}",
            bar(dept.submitted, dept.total),
            Text(str(dept.pending), style=style),
        )
    console.print(departments)

    if summary.levels:
        levels = Table(title=f"{top_label}別", title_justify="left")
        levels.add_column(top_label)
        levels.add_column("回答", justify="right")
        levels.add_column("進捗")
        for level in summary.levels:
            levels.add_row(
                f"{level.label} {level.title}".strip(),
                f"{level.submitted}/{level.total}",
                bar(level.submitted, level.total),
            )
        console.print(levels)
    if summary.overdue_departments:
        console.print(
            f"[red]締切後の未回答: {len(summary.overdue_departments)}課・"
            f"{sum(d.overdue for d in summary.overdue_departments)}件[/]",
            highlight=False,
        )


def render_comparison(comparison: Comparison, *, top_label: str) -> None:
    """Rose / fell / stayed per goal and per department, against the previous round."""
    title = f"前回（{comparison.previous_label}・回 {comparison.previous_round_id}）との比較"
    for heading, rows in (
        (top_label, (*comparison.goals, comparison.overall)),
        ("担当課", (*comparison.departments, comparison.overall)),
    ):
        table = Table(title=f"{title}: {heading}別", title_justify="left")
        table.add_column(heading)
        for column in ("上がった", "下がった", "同じ", "比較できない"):
            table.add_column(column, justify="right")
        for row in rows:
            table.add_row(*_movement_cells(row))
        console.print(table)


def _movement_cells(row: GradeTally) -> list[str]:
    counts = (row.improved, row.worsened, row.same, row.unmatched)
    return [row.label or TOTAL_NAME, *(str(n) for n in counts)]


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
    lang: LangOption = "ja",
) -> None:
    """Progress of the round: counts, grades, per department and per top level, indicators."""
    if summary_only and dept is not None:
        fail("--summary は計画全体のまとめです。--dept と一緒には使えません。")
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
        top_label = str(labels[0]) if labels else "階層"
        scale = GradeScale.from_json(rnd.scale)
        text = summary_text(compare_rounds(session, round_id=rnd.id)) if summary_only else None
    if text is not None:
        print_summary(summary, text, lang=lang, as_json=as_json)
        return
    if as_json:
        data = summary.to_json()
        data["indicators"] = [indicator.to_json() for indicator in indicators]
        if comparison is not None:
            data["compare"] = comparison.to_json()
        print_json(data)
        return
    render(summary, today=today, scale=scale, top_label=top_label)
    if indicators:
        console.print(indicator_table(indicators, title="指標（基準値→目標値の進捗）"))
    if comparison is not None:
        render_comparison(comparison, top_label=top_label)
