"""Charts for the committee's handout, as PNG bytes (matplotlib, Agg, a bundled Japanese font).

matplotlib is imported inside the functions, so commands that draw nothing stay fast. The
font is IPAexGothic from the `matplotlib-fontja` package (IPA Font License), so no system
font is needed and Japanese labels never turn into tofu. Figures are made with
`matplotlib.figure.Figure` and saved by the Agg canvas, never through pyplot's global state,
so several threads can draw at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from handlers.committee.compare import Comparison, compare_rounds
from handlers.errors import InvalidInput
from handlers.i18n import Translator, msg, translator
from handlers.reporting.status import StatusSummary, summarize

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KINDS = ("completion", "grades", "yoy")
FONT_FAMILY = "IPAexGothic"
PENDING_COLOR = "#d9d9d9"
DONE_COLOR = "#2e7d32"
PREVIOUS_COLOR = "#90a4ae"
CURRENT_COLOR = "#1565c0"
MAX_LABEL = 24
DPI = 120


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    """A figure drawn in the bundled Japanese font, whatever the global settings are."""
    import matplotlib
    import matplotlib_fontja  # registers IPAexGothic with matplotlib's font manager
    from matplotlib.figure import Figure

    del matplotlib_fontja
    with matplotlib.rc_context({"font.family": [FONT_FAMILY], "axes.unicode_minus": False}):
        yield Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _grade_colors(count: int) -> list[tuple[float, float, float, float]]:
    """Good to bad: blue → red, one colour per grade of the scale."""
    from matplotlib import colormaps

    cmap = colormaps["RdYlBu_r"]
    return [cmap(0.1 + 0.8 * i / max(count - 1, 1)) for i in range(count)]


def completion_chart(summary: StatusSummary, language: str = "ja") -> bytes:
    """Answered / total per department (horizontal stacked bar), most pending at the top."""
    from matplotlib.ticker import MaxNLocator

    t = translator(language)
    departments = sorted(
        summary.departments, key=lambda d: (d.submitted / d.total if d.total else 1, d.name)
    )
    height = 1.6 + 0.32 * max(len(departments), 1)
    with _figure(8, height) as figure:
        axes = figure.subplots()
        names = [_short(d.name) for d in departments]
        done = [d.submitted for d in departments]
        pending = [d.pending for d in departments]
        axes.barh(names, done, color=DONE_COLOR, label=t("chart.answered"))
        axes.barh(names, pending, left=done, color=PENDING_COLOR, label=t("handout.pending"))
        for index, dept in enumerate(departments):
            axes.text(dept.total, index, f" {dept.submitted}/{dept.total}", va="center", fontsize=8)
        axes.invert_yaxis()
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(t("chart.slots"))
        axes.set_xlim(0, max((d.total for d in departments), default=1) * 1.15)
        axes.set_title(
            t(
                "chart.completion",
                year=t.fiscal_year(summary.fiscal_year),
                plan=summary.plan_name,
                submitted=summary.submitted,
                total=summary.total,
                percent=summary.percent,
            )
        )
        axes.legend(loc="lower right", fontsize=8)
        return _png(figure)


def _unit(t: Translator, comparison: Comparison) -> str:
    """What is counted: the plan's word for an item (事業) or entries (件)."""
    if comparison.unit_is_item:
        return t("handout.unit.item", label=comparison.unit)
    return t("handout.unit.slot")


def grades_chart(comparison: Comparison, language: str = "ja") -> bytes:
    """The grade distribution per goal (top level), one stacked bar per goal."""
    from matplotlib.ticker import MaxNLocator

    t = translator(language)
    goals = list(comparison.goals) or [comparison.overall]
    letters = list(comparison.overall.counts)
    height = 1.8 + 0.45 * len(goals)
    with _figure(8.5, height) as figure:
        axes = figure.subplots()
        labels = [_short(goal.label or t("chart.overall")) for goal in goals]
        left = [0] * len(goals)
        colors = _grade_colors(len(comparison.scale.letters))
        for index, letter in enumerate(letters):
            values = [goal.counts.get(letter, 0) for goal in goals]
            color = colors[index] if index < len(colors) else "#7e57c2"
            axes.barh(labels, values, left=left, color=color, label=letter)
            left = [a + b for a, b in zip(left, values, strict=True)]
        pending = [goal.total - goal.graded for goal in goals]
        axes.barh(labels, pending, left=left, color=PENDING_COLOR, label=t("handout.pending"))
        axes.invert_yaxis()
        axes.set_xlabel(t("chart.count", unit=_unit(t, comparison)))
        axes.set_title(
            t(
                "chart.grades",
                year=t.fiscal_year(comparison.fiscal_year),
                goal=comparison.top_label or t("handout.summary.goal"),
                plan=comparison.plan_name,
            )
        )
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
        return _png(figure)


def yoy_chart(comparison: Comparison, language: str = "ja") -> bytes:
    """Grade counts last year and this year, side by side per grade."""
    from matplotlib.ticker import MaxNLocator

    t = translator(language)
    previous_year = comparison.previous_fiscal_year
    letters = list(comparison.overall.counts)
    positions = list(range(len(letters)))
    width = 0.38
    with _figure(7, 4.2) as figure:
        axes = figure.subplots()
        current = [comparison.overall.counts[letter] for letter in letters]
        if previous_year is not None:
            previous = [comparison.overall.previous_counts.get(letter, 0) for letter in letters]
            bars = axes.bar(
                [p - width / 2 for p in positions],
                previous,
                width,
                color=PREVIOUS_COLOR,
                label=t.fiscal_year(previous_year),
            )
            axes.bar_label(bars, fontsize=8)
            shift = width / 2
        else:
            shift = 0.0
        bars = axes.bar(
            [p + shift for p in positions],
            current,
            width,
            color=CURRENT_COLOR,
            label=t.fiscal_year(comparison.fiscal_year),
        )
        axes.bar_label(bars, fontsize=8)
        axes.set_xticks(positions, letters)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(t("handout.header.grade"))
        axes.set_ylabel(t("chart.count", unit=_unit(t, comparison)))
        note = "" if previous_year is not None else t("chart.no_previous")
        axes.set_title(t("chart.yoy", plan=comparison.plan_name, note=note))
        axes.legend(fontsize=8)
        return _png(figure)


def render_chart(
    session: Session,
    *,
    round_id: int,
    kind: str,
    today: date,
    good: list[str] | None = None,
    language: str = "ja",
) -> bytes:
    """The chart `kind` (completion / grades / yoy) of the round, as PNG bytes, its words in
    `language`."""
    if kind == "completion":
        return completion_chart(summarize(session, round_id=round_id, today=today), language)
    if kind == "grades":
        return grades_chart(compare_rounds(session, round_id=round_id, good=good), language)
    if kind == "yoy":
        return yoy_chart(compare_rounds(session, round_id=round_id, good=good), language)
    raise InvalidInput(msg("chart.kind_unknown", kind=kind, kinds=" / ".join(KINDS)))
