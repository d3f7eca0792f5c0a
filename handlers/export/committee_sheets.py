"""The committee's sheets after the 達成状況一覧: まとめ (summary sentences, grades per goal,
completion per department and how its answers came in, last year beside this year, with native charts over those
tables), 指標 (each indicator against its baseline and target) and 委員会評価 (the committee's
grade, comment and 提言 per node of the evaluation level). Pure: lines of cells laid out by
`handlers.export.sheet_flow`; `handlers.export.sheets_xlsx` writes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.committee.compare import GradeTally
from handlers.committee.evaluations import EvaluationRow, EvaluationSheet
from handlers.committee.indicator_values import format_value
from handlers.committee.summary_text import percent
from handlers.export.charts import CURRENT_COLOR, DONE_COLOR, PENDING_COLOR, PREVIOUS_COLOR
from handlers.export.document import CommitteeSheets
from handlers.export.sheet_flow import (
    Cell,
    ChartSeries,
    ChartSpec,
    Line,
    SheetLayout,
    fit_columns,
    natural_widths,
    paginate,
    section_heading,
)
from handlers.i18n import Listed, Translator, translator
from handlers.reporting.handout import handout_words
from handlers.reporting.status import describe_channels
from handlers.typesetting import MIN_CAP, PRINT_HEIGHT, TITLE_SIZE

LABEL_CAP = 40  # half-width characters of a goal or department name before it wraps
NODE_CAP = 28
DEPARTMENT_CAP = 18
DISTRIBUTION_CAP = 20
PROPOSAL_CAP = 40
CHART_ROWS = 20  # categories per chart; more get another chart
CHART_TOP = 70.0  # points of a bar chart besides its bars (title, axis, margins)
CHART_BAR = 14.0  # points per category of a horizontal bar chart
CHART_MIN = 150.0
COLUMN_CHART = 220.0
SPACE = 8.0
NO_VALUE = "—"
# Good to bad, for the grades of a scale (blue → red), as the PNG charts draw them.
GRADE_ANCHORS = ((0x21, 0x66, 0xAC), (0x92, 0xC5, 0xDE), (0xF4, 0xA5, 0x82), (0xB2, 0x18, 0x2B))


def grade_colors(count: int) -> list[str]:
    """`count` colours from blue (best) to red (worst)."""
    colors = []
    for index in range(count):
        t = index / (count - 1) if count > 1 else 0.0
        scaled = t * (len(GRADE_ANCHORS) - 1)
        low = min(int(scaled), len(GRADE_ANCHORS) - 2)
        share = scaled - low
        rgb = [
            round(a + (b - a) * share)
            for a, b in zip(GRADE_ANCHORS[low], GRADE_ANCHORS[low + 1], strict=True)
        ]
        colors.append("#" + "".join(f"{c:02X}" for c in rgb))
    return colors


def _n(count: int, style: str = "number") -> Cell:
    return Cell(str(count), style, value=float(count), num_format="0")


def _title(text: str, columns: int) -> Line:
    return Line(cells=(Cell(text, "title", span=columns),), size=TITLE_SIZE)


def _text(text: str, columns: int, style: str = "text", *, keep: bool = False) -> Line:
    return Line(cells=(Cell(text, style, span=columns),), keep_with_next=keep)


def _space() -> Line:
    return Line(height=SPACE)


def _bar_height(categories: int) -> float:
    return min(max(CHART_MIN, CHART_TOP + CHART_BAR * categories), PRINT_HEIGHT * 0.75)


# --- まとめ --------------------------------------------------------------------------------


def _heading(t: Translator, sheets: CommitteeSheets, message_id: str, **params: object) -> str:
    """A sheet's title: `令和7年度 第5次計画 まとめ` / `FY2025 …: summary`."""
    year = t.fiscal_year(sheets.fiscal_year)
    return t(message_id, year=year, plan=sheets.plan_title, **params)


def _unit(t: Translator, sheets: CommitteeSheets) -> str:
    """What the summary counts: the plan's own word for an item (事業) or entries (件)."""
    comparison = sheets.comparison
    if comparison.unit_is_item:
        return t("handout.unit.item", label=comparison.unit)
    return t("handout.unit.slot")


def summary_layout(sheets: CommitteeSheets) -> SheetLayout:
    """The summary sheet: sentences, then each table with its chart below it."""
    t = translator(sheets.language)
    words = handout_words(sheets.language)
    comparison = sheets.comparison
    letters = list(comparison.overall.counts)
    good = t("handout.summary.good", grades=Listed(comparison.good))
    top = comparison.top_label or t("handout.summary.goal")
    goals = list(comparison.goals)
    departments = sheets.status.departments
    previous = comparison.previous_fiscal_year
    pending, total = t("handout.pending"), t("handout.total")
    unit = _unit(t, sheets)

    goal_header = [top, *letters, pending, total, good]
    department_header = [
        words.department,
        t("handout.summary.answered"),
        pending,
        total,
        t("handout.summary.rate"),
    ]
    yoy_header = [
        words.grade,
        t.fiscal_year(previous) if previous is not None else "",
        t.fiscal_year(comparison.fiscal_year),
    ]
    move_header = [top, *(t(f"compare.{move}") for move in MOVES)]
    numeric = max(len(goal_header), len(department_header), len(move_header)) - 1
    columns = numeric + 2  # names, numbers, and a last column that takes the rest

    lines: list[Line] = [
        _title(_heading(t, sheets, "handout.summary.title"), columns),
        _space(),
        _text(t("handout.summary.caption"), columns, "caption", keep=True),
    ]
    lines += [_text(sentence, columns) for sentence in sheets.summary.lines(sheets.language)]

    # Grades per goal, then their chart.
    per_goal = t("handout.summary.per_goal", goal=top)
    lines += [_space(), _text(per_goal, columns, "caption", keep=True)]
    header_at = len(lines)
    lines.append(_header(goal_header))
    first = len(lines)
    rows = goals or [comparison.overall]
    for tally in rows:
        lines.append(_goal_row(t, tally, letters, comparison.good))
    last = len(lines) - 1
    if goals:
        lines.append(_goal_row(t, comparison.overall, letters, comparison.good, total=True))
    colors = [*grade_colors(len(comparison.scale.letters)), *(["#7E57C2"] * len(letters))]
    series = [
        ChartSeries((header_at, 1 + index), (0, 0, 1 + index), colors[index])
        for index in range(len(letters))
    ]
    series.append(
        ChartSeries((header_at, 1 + len(letters)), (0, 0, 1 + len(letters)), PENDING_COLOR)
    )
    chart = t("handout.summary.per_goal_chart", goal=top, unit=unit)
    lines += _bar_charts(t, chart, first, last, series, stacked=True)

    # Completion per department, then its chart.
    caption = t("handout.summary.departments")
    lines += [_space(), _text(caption, columns, "caption", keep=True)]
    # Who answered how (Slack, Excel, proxy …), across the columns that are left.
    how = columns - len(department_header)
    header_at = len(lines)
    lines.append(
        Line(
            cells=(
                *_header(department_header).cells,
                Cell(t("status.channels"), "header", span=how),
            ),
            keep_with_next=True,
        )
    )
    first = len(lines)
    for dept in departments:
        lines.append(
            Line(
                cells=(
                    Cell(dept.name),
                    _n(dept.submitted),
                    _n(dept.pending),
                    _n(dept.total),
                    Cell(f"{percent(dept.submitted, dept.total)}%", "number"),
                    Cell(describe_channels(t, dept.channels), span=how),
                )
            )
        )
    last = len(lines) - 1
    status = sheets.status
    lines.append(
        Line(
            cells=(
                Cell(t("compare.total"), "total"),
                _n(status.submitted, "total_number"),
                _n(status.total - status.submitted, "total_number"),
                _n(status.total, "total_number"),
                Cell(f"{percent(status.submitted, status.total)}%", "total_number"),
                Cell(describe_channels(t, status.channels), "total", span=how),
            )
        )
    )
    if departments:
        lines += _bar_charts(
            t,
            t("handout.summary.departments_chart"),
            first,
            last,
            [
                ChartSeries((header_at, 1), (0, 0, 1), DONE_COLOR),
                ChartSeries((header_at, 2), (0, 0, 2), PENDING_COLOR),
            ],
            stacked=True,
        )

    if previous is not None:
        _year_over_year(t, lines, sheets, yoy_header, move_header, columns)
    wanted = natural_widths(lines, columns)
    wanted[0] = min(wanted[0], LABEL_CAP)
    wanted[-1] = MIN_CAP
    return paginate(
        t("handout.sheet.summary"),
        lines,
        fit_columns(wanted, rest=columns - 1),
        continued=t("handout.continued"),
    )


MOVES = ("rose", "fell", "same", "unmatched")


def _header(texts: Sequence[str]) -> Line:
    return Line(cells=tuple(Cell(text, "header") for text in texts), keep_with_next=True)


def _goal_row(
    t: Translator,
    tally: GradeTally,
    letters: Sequence[str],
    good: Sequence[str],
    *,
    total: bool = False,
) -> Line:
    number = "total_number" if total else "number"
    share = tally.good(good)
    return Line(
        cells=(
            Cell(tally.label or t("compare.total"), "total" if total else "body"),
            *(_n(tally.counts.get(letter, 0), number) for letter in letters),
            _n(tally.pending, number),
            _n(tally.total, number),
            Cell(t("handout.share", share=share, percent=percent(share, tally.total)), number),
        )
    )


def _bar_charts(
    t: Translator,
    title: str,
    first: int,
    last: int,
    series: Sequence[ChartSeries],
    *,
    stacked: bool,
) -> list[Line]:
    """Horizontal bar charts over table lines first..last, at most CHART_ROWS bars each."""
    charts: list[Line] = []
    chunks = list(range(first, last + 1, CHART_ROWS))
    for number, start in enumerate(chunks, start=1):
        end = min(start + CHART_ROWS - 1, last)
        name = (
            t("handout.chart_part", title=title, part=number, parts=len(chunks))
            if len(chunks) > 1
            else title
        )
        spec = ChartSpec(
            kind="bar",
            title=name,
            categories=(start, end, 0),
            series=tuple(ChartSeries(s.name, (start, end, s.values[2]), s.color) for s in series),
            stacked=stacked,
        )
        charts += [_space(), Line(height=_bar_height(end - start + 1), chart=spec)]
    return charts


def _year_over_year(
    t: Translator,
    lines: list[Line],
    sheets: CommitteeSheets,
    yoy_header: list[str],
    move_header: list[str],
    columns: int,
) -> None:
    """Last year's and this year's grade counts of the same slots with their chart, and what
    rose or fell per goal; appended to `lines` (charts point at absolute line indexes)."""
    comparison = sheets.comparison
    overall = comparison.overall
    caption = t("handout.yoy.caption", previous=yoy_header[1], current=yoy_header[2])
    lines += [_space(), _text(caption, columns, "caption", keep=True)]
    header_at = len(lines)
    lines.append(_header(yoy_header))
    first = len(lines)
    for letter in overall.counts:
        lines.append(
            Line(
                cells=(
                    Cell(letter, "center"),
                    _n(overall.previous_counts.get(letter, 0)),
                    _n(overall.counts[letter]),
                )
            )
        )
    last = len(lines) - 1
    unanswered_before = overall.total - sum(overall.previous_counts.values())
    pending = Cell(t("handout.pending"), "center")
    lines.append(Line(cells=(pending, _n(unanswered_before), _n(overall.pending))))
    spec = ChartSpec(
        kind="column",
        title=t("handout.yoy.chart", unit=_unit(t, sheets)),
        categories=(first, last, 0),
        series=(
            ChartSeries((header_at, 1), (first, last, 1), PREVIOUS_COLOR),
            ChartSeries((header_at, 2), (first, last, 2), CURRENT_COLOR),
        ),
        axis_title=yoy_header[0],
    )
    lines += [_space(), Line(height=COLUMN_CHART, chart=spec), _space()]
    moves = t("handout.yoy.moves", goal=move_header[0])
    lines.append(_text(moves, columns, "caption", keep=True))
    lines.append(_header(move_header))
    for tally in (*comparison.goals, overall):
        total = tally is overall
        number = "total_number" if total else "number"
        lines.append(
            Line(
                cells=(
                    Cell(tally.label or t("compare.total"), "total" if total else "body"),
                    _n(tally.improved, number),
                    _n(tally.worsened, number),
                    _n(tally.same, number),
                    _n(tally.unmatched, number),
                )
            )
        )


# --- 指標 ----------------------------------------------------------------------------------


def _number(value: float | None, *, suffix: str = "") -> Cell:
    """A value as a number cell that shows exactly as `format_value` writes it."""
    if value is None:
        return Cell(NO_VALUE, "center")
    text = format_value(value, "")
    decimals = len(text.partition(".")[2])
    pattern = ("#,##0" if "," in text else "0") + ("." + "0" * decimals if decimals else "")
    quoted = f'"{suffix}"' if suffix else ""
    return Cell(text + suffix, "number", value=value, num_format=pattern + quoted)


INDICATOR_COLUMNS = (
    "number",
    "name",
    "unit",
    "baseline_year",
    "baseline",
    "target_year",
    "target",
    "value",
    "progress",
    "expected",
    "state",
    "owner",
)


def indicator_layout(sheets: CommitteeSheets) -> SheetLayout:
    """One row per indicator: baseline, target, this round's value, progress, on track."""
    t = translator(sheets.language)
    words = handout_words(sheets.language)
    header = [t(f"handout.indicator.column.{column}") for column in INDICATOR_COLUMNS]
    value = INDICATOR_COLUMNS.index("value")
    header[value] = words.with_year(header[value], sheets.fiscal_year)
    columns = len(header)
    lines = [
        _title(_heading(t, sheets, "handout.indicator.title"), columns),
        _text(t("handout.indicator.note"), columns, "note"),
        _space(),
        _header(header),
    ]
    header_at = len(lines) - 1

    def year(fiscal_year: int | None) -> str:
        return t.fiscal_year(fiscal_year) if fiscal_year is not None else ""

    for status in sheets.indicators:
        behind = status.on_track is False
        state = (
            NO_VALUE
            if status.on_track is None
            else t("handout.indicator.on_track" if status.on_track else "handout.indicator.behind")
        )
        lines.append(
            Line(
                cells=(
                    Cell(status.number, "center"),
                    Cell(status.name),
                    Cell(status.unit, "center"),
                    Cell(year(status.baseline_year), "center"),
                    _number(status.baseline_value),
                    Cell(year(status.target_year), "center"),
                    _number(status.target_value),
                    _number(status.value),
                    _number(status.progress, suffix="%"),
                    _number(status.expected),
                    Cell(state, "behind" if behind else "center"),
                    Cell(status.department_name or t("handout.office")),
                )
            )
        )
    wanted = natural_widths(lines, columns)
    wanted[-1] = min(wanted[-1], DEPARTMENT_CAP)
    return paginate(
        t("handout.sheet.indicators"),
        lines,
        fit_columns(wanted, rest=1),
        header=header_at,
        continued=t("handout.continued"),
    )


# --- 委員会評価 ------------------------------------------------------------------------------


def _distribution(t: Translator, row: EvaluationRow) -> str:
    """The departments' grades under the node: `A 2・B 3（未回答 1）`."""
    given = t("list.dot").join(f"{letter} {n}" for letter, n in row.grades.items() if n)
    pending = row.slots - row.answered
    note = t("handout.evaluation.pending", pending=pending) if pending else ""
    return (given or NO_VALUE) + note if row.slots else NO_VALUE


EVALUATION_COLUMNS = ("grade", "comment", "proposal", "distribution")


def evaluation_layout(sheets: CommitteeSheets, evaluations: EvaluationSheet) -> SheetLayout:
    """One row per node of the evaluation level under headings of the levels above it."""
    t = translator(sheets.language)
    level = evaluations.level_label or t("handout.evaluation.unit")
    header = [level, *(t(f"handout.evaluation.column.{c}") for c in EVALUATION_COLUMNS)]
    columns = len(header)
    legend = t("handout.legend.separator").join(
        t("handout.legend.grade", letter=g.letter, detail=_detail(t, g.label, g.band))
        for g in evaluations.scale.grades
        if g.label
    )
    lines = [_title(_heading(t, sheets, "handout.evaluation.title", level=level), columns)]
    if legend:
        lines.append(_text(t("handout.evaluation.legend", grades=legend), columns, "note"))
    lines += [_space(), _header(header)]
    header_at = len(lines) - 1
    groups: list[tuple[str | None, tuple[EvaluationRow, ...]]] = []
    for row in evaluations.rows:
        section = " › ".join(row.path[:-1]) or None
        if groups and groups[-1][0] == section:
            groups[-1] = (section, (*groups[-1][1], row))
        else:
            groups.append((section, (row,)))
    if evaluations.orphans:
        groups.append((t("handout.evaluation.orphans", level=level), evaluations.orphans))
    for section, rows in groups:
        if section is not None:
            lines.append(section_heading(section, columns))
        for row in rows:
            lines.append(
                Line(
                    cells=(
                        Cell(row.display),
                        Cell(row.grade or "", "center"),
                        Cell(row.comment),
                        Cell(row.proposal),
                        Cell(_distribution(t, row)),
                    ),
                    section=section,
                )
            )
    wanted = natural_widths(lines, columns)
    wanted[0] = min(wanted[0], NODE_CAP)
    wanted[3] = min(wanted[3], PROPOSAL_CAP)
    wanted[4] = min(wanted[4], DISTRIBUTION_CAP)  # 評価コメント (2) takes the rest
    return paginate(
        t("handout.sheet.evaluation"),
        lines,
        fit_columns(wanted, rest=2),
        header=header_at,
        continued=t("handout.continued"),
    )


def _detail(t: Translator, label: str, band: str) -> str:
    """`計画以上（100%～）`: a grade's words and its band."""
    return t("handout.legend.band", label=label, band=band) if band else label


def committee_layouts(sheets: CommitteeSheets) -> tuple[SheetLayout, ...]:
    """The sheets after the table: まとめ always, 指標 when the plan has indicators, 委員会評価
    when evaluations are exported."""
    layouts = [summary_layout(sheets)]
    if sheets.indicators:
        layouts.append(indicator_layout(sheets))
    if sheets.evaluations is not None:
        layouts.append(evaluation_layout(sheets, sheets.evaluations))
    return tuple(layouts)
