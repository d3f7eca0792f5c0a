"""The committee's sheets after the 達成状況一覧: まとめ (summary sentences, grades per goal,
completion per department and how its answers came in, last year beside this year, with native charts over those
tables), 指標 (each indicator against its baseline and target) and 委員会評価 (the committee's
grade, comment and 提言 per node of the evaluation level). Pure: lines of cells laid out by
`handlers.export.sheet_flow`; `handlers.export.sheets_xlsx` writes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.committee.compare import TOTAL_NAME, GradeTally
from handlers.committee.evaluations import EvaluationRow, EvaluationSheet
from handlers.committee.indicator_values import format_value
from handlers.committee.indicators import IndicatorStatus
from handlers.committee.summary_text import percent
from handlers.export.charts import CURRENT_COLOR, DONE_COLOR, PENDING, PENDING_COLOR, PREVIOUS_COLOR
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
from handlers.fiscal import era_marker, reiwa_label
from handlers.i18n import translator
from handlers.reporting.status import describe_channels
from handlers.typesetting import MIN_CAP, PRINT_HEIGHT, TITLE_SIZE

SUMMARY_SHEET = "まとめ"
INDICATOR_SHEET = "指標"
EVALUATION_SHEET = "委員会評価"
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
ON_TRACK = "順調"
BEHIND = "遅れ"
NO_VALUE = "—"
INDICATOR_NOTE = (
    "進捗率＝（実績－基準値）÷（目標値－基準値）。目安＝基準年度から目標年度まで一定の割合で"
    "進んだ場合の今年度の値。順調＝実績が目安に届いている、遅れ＝届いていない。"
)
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


def summary_layout(sheets: CommitteeSheets) -> SheetLayout:
    """The summary sheet: sentences, then each table with its chart below it."""
    comparison = sheets.comparison
    letters = list(comparison.overall.counts)
    good = "・".join(comparison.good) + "評価"
    top = comparison.top_label or "目標"
    goals = list(comparison.goals)
    departments = sheets.status.departments
    has_previous = comparison.previous_label is not None
    previous_label = comparison.previous_label or ""

    goal_header = [top, *letters, PENDING, "計", good]
    department_header = ["担当課", "回答", PENDING, "計", "回答率"]
    yoy_header = ["達成度", previous_label, comparison.round_label]
    move_header = [top, "上がった", "下がった", "同じ", "比較できない"]
    numeric = max(len(goal_header), len(department_header), len(move_header)) - 1
    columns = numeric + 2  # names, numbers, and a last column that takes the rest

    lines: list[Line] = [
        _title(f"{sheets.round_label} {sheets.plan_title} {SUMMARY_SHEET}", columns),
        _space(),
        _text("達成度のまとめ", columns, "caption", keep=True),
    ]
    lines += [_text(sentence, columns) for sentence in sheets.summary.lines(sheets.language)]

    # Grades per goal, then their chart.
    lines += [_space(), _text(f"{top}別の達成度", columns, "caption", keep=True)]
    header_at = len(lines)
    lines.append(_header(goal_header))
    first = len(lines)
    rows = goals or [comparison.overall]
    for tally in rows:
        lines.append(_goal_row(tally, letters, comparison.good))
    last = len(lines) - 1
    if goals:
        lines.append(_goal_row(comparison.overall, letters, comparison.good, total=True))
    colors = [*grade_colors(len(comparison.scale.letters)), *(["#7E57C2"] * len(letters))]
    series = [
        ChartSeries((header_at, 1 + index), (0, 0, 1 + index), colors[index])
        for index in range(len(letters))
    ]
    series.append(
        ChartSeries((header_at, 1 + len(letters)), (0, 0, 1 + len(letters)), PENDING_COLOR)
    )
    lines += _bar_charts(
        f"{top}別の達成度（{comparison.unit}数）", first, last, series, stacked=True
    )

    # Completion per department, then its chart.
    lines += [_space(), _text("担当課別の回答状況", columns, "caption", keep=True)]
    # Who answered how (Slack, Excel, proxy …), across the columns that are left.
    t = translator(sheets.language)
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
                Cell(TOTAL_NAME, "total"),
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
            "担当課別の回答状況（報告枠数）",
            first,
            last,
            [
                ChartSeries((header_at, 1), (0, 0, 1), DONE_COLOR),
                ChartSeries((header_at, 2), (0, 0, 2), PENDING_COLOR),
            ],
            stacked=True,
        )

    if has_previous:
        _year_over_year(lines, sheets, yoy_header, move_header, columns)
    wanted = natural_widths(lines, columns)
    wanted[0] = min(wanted[0], LABEL_CAP)
    wanted[-1] = MIN_CAP
    return paginate(SUMMARY_SHEET, lines, fit_columns(wanted, rest=columns - 1))


def _header(texts: Sequence[str]) -> Line:
    return Line(cells=tuple(Cell(text, "header") for text in texts), keep_with_next=True)


def _goal_row(
    tally: GradeTally, letters: Sequence[str], good: Sequence[str], *, total: bool = False
) -> Line:
    number = "total_number" if total else "number"
    share = tally.good(good)
    return Line(
        cells=(
            Cell(tally.label or TOTAL_NAME, "total" if total else "body"),
            *(_n(tally.counts.get(letter, 0), number) for letter in letters),
            _n(tally.pending, number),
            _n(tally.total, number),
            Cell(f"{share}（{percent(share, tally.total)}%）", number),
        )
    )


def _bar_charts(
    title: str, first: int, last: int, series: Sequence[ChartSeries], *, stacked: bool
) -> list[Line]:
    """Horizontal bar charts over table lines first..last, at most CHART_ROWS bars each."""
    charts: list[Line] = []
    chunks = list(range(first, last + 1, CHART_ROWS))
    for number, start in enumerate(chunks, start=1):
        end = min(start + CHART_ROWS - 1, last)
        name = f"{title}（{number}/{len(chunks)}）" if len(chunks) > 1 else title
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
    caption = f"前年度との比較（{comparison.previous_label}→{comparison.round_label}、同じ報告枠）"
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
    lines.append(Line(cells=(Cell(PENDING, "center"), _n(unanswered_before), _n(overall.pending))))
    spec = ChartSpec(
        kind="column",
        title=f"達成度の前年度比較（{comparison.unit}数）",
        categories=(first, last, 0),
        series=(
            ChartSeries((header_at, 1), (first, last, 1), PREVIOUS_COLOR),
            ChartSeries((header_at, 2), (first, last, 2), CURRENT_COLOR),
        ),
        axis_title="達成度",
    )
    lines += [_space(), Line(height=COLUMN_CHART, chart=spec), _space()]
    lines.append(
        _text(f"{move_header[0]}別の前年度からの変化（報告枠数）", columns, "caption", keep=True)
    )
    lines.append(_header(move_header))
    for tally in (*comparison.goals, overall):
        total = tally is overall
        number = "total_number" if total else "number"
        lines.append(
            Line(
                cells=(
                    Cell(tally.label or TOTAL_NAME, "total" if total else "body"),
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


def _year(year: int | None) -> str:
    return reiwa_label(year) if year is not None else ""


def _state(status: IndicatorStatus) -> str:
    if status.on_track is None:
        return NO_VALUE
    return ON_TRACK if status.on_track else BEHIND


def indicator_layout(sheets: CommitteeSheets) -> SheetLayout:
    """One row per indicator: baseline, target, this round's value, progress, on track."""
    mark = era_marker(sheets.fiscal_year)
    header = [
        "番号",
        "指標",
        "単位",
        "基準年度",
        "基準値",
        "目標年度",
        "目標値",
        f"実績（{mark}）",
        "進捗率",
        "目安",
        "状況",
        "所管",
    ]
    columns = len(header)
    lines = [
        _title(f"{sheets.round_label} {sheets.plan_title} 指標の達成状況", columns),
        _text(INDICATOR_NOTE, columns, "note"),
        _space(),
        _header(header),
    ]
    header_at = len(lines) - 1
    for status in sheets.indicators:
        state = _state(status)
        lines.append(
            Line(
                cells=(
                    Cell(status.number, "center"),
                    Cell(status.name),
                    Cell(status.unit, "center"),
                    Cell(_year(status.baseline_year), "center"),
                    _number(status.baseline_value),
                    Cell(_year(status.target_year), "center"),
                    _number(status.target_value),
                    _number(status.value),
                    _number(status.progress, suffix="%"),
                    _number(status.expected),
                    Cell(state, "behind" if state == BEHIND else "center"),
                    Cell(status.department_name or "事務局"),
                )
            )
        )
    wanted = natural_widths(lines, columns)
    wanted[-1] = min(wanted[-1], DEPARTMENT_CAP)
    return paginate(INDICATOR_SHEET, lines, fit_columns(wanted, rest=1), header=header_at)


# --- 委員会評価 ------------------------------------------------------------------------------


def _distribution(row: EvaluationRow) -> str:
    """The departments' grades under the node: `A 2・B 3（未回答 1）`."""
    given = "・".join(f"{letter} {n}" for letter, n in row.grades.items() if n)
    pending = row.slots - row.answered
    note = f"（{PENDING} {pending}）" if pending else ""
    return (given or NO_VALUE) + note if row.slots else NO_VALUE


def evaluation_layout(sheets: CommitteeSheets, evaluations: EvaluationSheet) -> SheetLayout:
    """One row per node of the evaluation level under headings of the levels above it."""
    level = evaluations.level_label or "評価単位"
    header = [level, "評価", "評価コメント", "提言", "各課の達成度"]
    columns = len(header)
    legend = "　".join(
        f"{g.letter}：{g.label}" + (f"（{g.band}）" if g.band else "")
        for g in evaluations.scale.grades
        if g.label
    )
    lines = [_title(f"{sheets.round_label} {sheets.plan_title} 委員会評価（{level}ごと）", columns)]
    if legend:
        lines.append(_text(f"【評価の区分】{legend}", columns, "note"))
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
        groups.append((f"計画にない{level}", evaluations.orphans))
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
                        Cell(_distribution(row)),
                    ),
                    section=section,
                )
            )
    wanted = natural_widths(lines, columns)
    wanted[0] = min(wanted[0], NODE_CAP)
    wanted[3] = min(wanted[3], PROPOSAL_CAP)
    wanted[4] = min(wanted[4], DISTRIBUTION_CAP)  # 評価コメント (2) takes the rest
    return paginate(EVALUATION_SHEET, lines, fit_columns(wanted, rest=2), header=header_at)


def committee_layouts(sheets: CommitteeSheets) -> tuple[SheetLayout, ...]:
    """The sheets after the table: まとめ always, 指標 when the plan has indicators, 委員会評価
    when evaluations are exported."""
    layouts = [summary_layout(sheets)]
    if sheets.indicators:
        layouts.append(indicator_layout(sheets))
    if sheets.evaluations is not None:
        layouts.append(evaluation_layout(sheets, sheets.evaluations))
    return tuple(layouts)
