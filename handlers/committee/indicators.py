"""The plan's indicators (指標・目標値): import the table, report values per round, progress.

A value is reported by the indicator's owning department or entered by the office, and is
revised like a grade: every value is kept as a revision with reporter, channel and time,
and a redelivered chat event (same `source_key`) is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.committee.indicator_values import check_value, format_value, parse_value
from handlers.errors import (
    HokokuError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RoundClosed,
    import_refused,
    line_problem,
)
from handlers.fiscal import parse_fiscal_year
from handlers.i18n import FiscalYear, Listed, Message, literal, msg
from handlers.normalize import fold, fold_key
from handlers.organization.directory import find_department
from handlers.plan.table_import.errors import column_letter
from handlers.plan.table_import.reader import Grid, read_grid
from handlers.reporting.reports import DUPLICATE, REVISED, STORED, UNCHANGED
from handlers.reporting.rounds import get_round
from models import (
    AuditEntry,
    Department,
    Indicator,
    IndicatorValue,
    IndicatorValueRevision,
    Plan,
    utcnow,
)

# Header texts (NFKC-folded, upper case, no spaces) of each column, most specific first.
HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("指標番号", "番号", "NO", "NO.", "項番", "NUMBER"),
    "name": ("指標名", "指標", "INDICATOR", "NAME"),
    "unit": ("単位", "UNIT"),
    "baseline_year": ("基準年度", "現状年度", "実績年度", "策定時年度", "BASELINEYEAR"),
    "baseline_value": ("基準値", "現状値", "実績値", "実績", "策定時", "BASELINE"),
    "target_year": ("目標年度", "TARGETYEAR"),
    "target_value": ("目標値", "目標", "TARGET"),
    "department": ("所管", "担当課", "所管課", "DEPARTMENT"),
    "source": ("資料", "出典", "SOURCE"),
    "note": ("備考", "NOTE"),
}
REQUIRED = ("number", "name", "target_value")
LABELS = {
    "number": "indicator.column.number",
    "name": "indicator.column.name",
    "target_value": "indicator.column.target_value",
}
HEADER_SEARCH_ROWS = 20
MAX_NUMBER = 20
MAX_LISTED = 20


@dataclass(frozen=True)
class IndicatorImport:
    plan_id: int
    plan_name: str
    indicators: int
    added: int
    updated: int
    removed: int


@dataclass(frozen=True)
class IndicatorOutcome:
    status: str  # stored / revised / unchanged / duplicate (as for answers)
    number: str
    name: str
    unit: str
    value: float
    revision: int
    department_name: str | None  # None = entered by the office

    @property
    def display(self) -> str:
        return format_value(self.value, self.unit)


@dataclass(frozen=True)
class IndicatorStatus:
    number: str
    name: str
    unit: str
    baseline_year: int | None
    baseline_value: float | None
    target_year: int | None
    target_value: float
    department_name: str | None
    source: str
    value: float | None
    revision: int
    reporter: str
    progress: float | None  # percent of the way from baseline to target
    expected: float | None  # the value on a straight line from baseline to target this year
    on_track: bool | None  # value at least as far as `expected` (None: no value or no line)

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "name": self.name,
            "unit": self.unit,
            "baseline": {"year": self.baseline_year, "value": self.baseline_value},
            "target": {"year": self.target_year, "value": self.target_value},
            "department": self.department_name,
            "value": self.value,
            "revision": self.revision,
            "progress": self.progress,
            "expected": self.expected,
            "on_track": self.on_track,
        }


# --- import ------------------------------------------------------------------------------


def _header_row(grid: Grid, *, file: str) -> tuple[int, dict[str, int]]:
    """The first row naming an indicator column, and each role's column index."""
    for row in range(min(HEADER_SEARCH_ROWS, len(grid.rows))):
        keys = [fold_key(cell) for cell in grid.rows[row]]
        columns: dict[str, int] = {}
        for role, names in HEADERS.items():
            for name in names:
                index = next((i for i, k in enumerate(keys) if k == name), None)
                if index is not None and index not in columns.values():
                    columns[role] = index
                    break
        if "name" in columns:
            missing = tuple(msg(LABELS[r]) for r in REQUIRED if r not in columns)
            if missing:
                raise InvalidInput(
                    msg(
                        "indicator.columns_missing",
                        file=file,
                        line=row + 1,
                        columns=Listed(missing),
                        seen=tuple(c for c in grid.rows[row] if c),
                    )
                )
            return row, columns
    raise InvalidInput(msg("indicator.no_header", file=file))


@dataclass
class _Row:
    line: int
    number: str
    name: str
    unit: str
    baseline_year: int | None
    baseline_value: float | None
    target_year: int | None
    target_value: float
    department: Department | None
    source: str
    note: str


def _parse_rows(session: Session, grid: Grid, *, organization_id: int, file: str) -> list[_Row]:
    header, columns = _header_row(grid, file=file)
    problems: list[Message] = []
    rows: list[_Row] = []
    first_line: dict[str, int] = {}

    def cell(index: int, role: str) -> str:
        return grid.cell(index, columns[role]).strip() if role in columns else ""

    def at(index: int, role: str, message: Message) -> Message:
        """A problem of one cell: `3行目 A列: …`."""
        return msg(
            "problem.cell", line=index + 1, column=column_letter(columns[role]), text=message
        )

    for index in range(header + 1, len(grid.rows)):
        if not any(grid.rows[index]):
            continue
        number, name = fold(cell(index, "number")), cell(index, "name")
        unit = fold(cell(index, "unit"))
        if not number or not name:
            problems.append(line_problem(index + 1, "indicator.row_incomplete"))
            continue
        if len(number) > MAX_NUMBER:
            problems.append(at(index, "number", msg("indicator.number_too_long", limit=MAX_NUMBER)))
            continue
        if fold_key(number) in first_line:
            first = first_line[fold_key(number)]
            problems.append(
                at(index, "number", msg("indicator.number_twice", number=number, first=first))
            )
            continue
        first_line[fold_key(number)] = index + 1
        values: dict[str, float | None] = {"baseline_value": None, "target_value": None}
        for role in values:
            text = cell(index, role)
            if not text:
                continue
            try:
                number_value = parse_value(text, unit=unit)
                check_value(number_value, unit=unit)
                values[role] = number_value
            except HokokuError as exc:
                problems.append(at(index, role, exc.msg))
        if not cell(index, "target_value"):
            problems.append(
                at(index, "target_value", msg("indicator.target_missing", number=number))
            )
        years: dict[str, int | None] = {}
        for role in ("baseline_year", "target_year"):
            text = cell(index, role)
            years[role] = parse_fiscal_year(text) if text else None
            if text and years[role] is None:
                problems.append(at(index, role, msg("indicator.year_unreadable", year=text)))
        department = None
        if cell(index, "department"):
            try:
                department = find_department(
                    session, organization_id=organization_id, name=cell(index, "department")
                )
            except NotFound as exc:
                problems.append(
                    at(index, "department", msg("indicator.department_unknown", problem=exc.msg))
                )
        target = values.get("target_value")
        if target is None:
            continue
        rows.append(
            _Row(
                line=index + 1,
                number=number,
                name=name,
                unit=unit,
                baseline_year=years["baseline_year"],
                baseline_value=values.get("baseline_value"),
                target_year=years["target_year"],
                target_value=target,
                department=department,
                source=cell(index, "source"),
                note=cell(index, "note"),
            )
        )
    if not rows and not problems:
        problems.append(msg("indicator.no_rows", line=header + 2))
    if problems:
        raise import_refused(file, problems, limit=MAX_LISTED)
    return rows


def import_indicators(
    session: Session, *, plan_id: int, path: Path, sheet: str | None = None
) -> IndicatorImport:
    """Read the table (CSV/TSV/XLSX, any encoding the plan import reads) and upsert by number.

    Indicators missing from the table are removed, unless a round already has a value for
    one: then nothing is written and those are listed.
    """
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(msg("plan.not_found_id", plan=plan_id))
    grid = read_grid(path, sheet=sheet)
    rows = _parse_rows(session, grid, organization_id=plan.organization_id, file=path.name)
    existing = {
        fold_key(i.number): i
        for i in session.scalars(select(Indicator).where(Indicator.plan_id == plan.id))
    }
    wanted = {fold_key(row.number) for row in rows}
    dropped = [i for key, i in existing.items() if key not in wanted]
    if dropped:
        with_values = session.scalars(
            select(Indicator.number)
            .join(IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
            .where(Indicator.id.in_([i.id for i in dropped]))
            .distinct()
        ).all()
        if with_values:
            raise InvalidInput(
                msg(
                    "indicator.values_would_be_lost",
                    file=path.name,
                    numbers=tuple(sorted(with_values)),
                )
            )
    for gone in dropped:
        session.delete(gone)
    added = updated = 0
    for position, row in enumerate(rows):
        found = existing.get(fold_key(row.number))
        if found is None:
            indicator = Indicator(plan_id=plan.id, number=row.number, name=row.name, target_value=0)
            session.add(indicator)
            added += 1
        else:
            indicator = found
            updated += 1
        indicator.number = row.number
        indicator.name = row.name
        indicator.unit = row.unit
        indicator.baseline_year = row.baseline_year
        indicator.baseline_value = row.baseline_value
        indicator.target_year = row.target_year
        indicator.target_value = row.target_value
        indicator.department_id = row.department.id if row.department else None
        indicator.source = row.source
        indicator.note = row.note
        indicator.position = position
    session.flush()
    return IndicatorImport(
        plan_id=plan.id,
        plan_name=plan.name,
        indicators=len(rows),
        added=added,
        updated=updated,
        removed=len(dropped),
    )


# --- values ------------------------------------------------------------------------------


def find_indicator(session: Session, *, plan_id: int, number: str) -> Indicator:
    indicators = session.scalars(
        select(Indicator).where(Indicator.plan_id == plan_id).order_by(Indicator.position)
    ).all()
    key = fold_key(number).lstrip("#")
    for indicator in indicators:
        if fold_key(indicator.number) == key:
            return indicator
    known = tuple(i.number for i in indicators) or msg("indicator.none_imported")
    raise NotFound(msg("indicator.not_found", number=number, known=known))


def report_indicator_value(
    session: Session,
    *,
    round_id: int,
    department_id: int | None,
    number: str,
    value: str | float,
    reporter: str,
    channel: str,
    source_key: str | None = None,
    now: datetime | None = None,
    audited: bool = False,
) -> IndicatorOutcome:
    """Store one indicator value for the round; `department_id=None` is the office.

    A department may report only the indicators it owns; the office any. Every change is a
    revision; the same value again is `unchanged`, the same `source_key` again `duplicate`.
    `audited`: the office entered it for the owning department from a chat (a proxy, like
    a proxy answer): each change is written to the audit log as `proxy_indicator`.
    """
    rnd = get_round(session, round_id=round_id)
    indicator = find_indicator(session, plan_id=rnd.plan_id, number=number)
    department = session.get(Department, department_id) if department_id is not None else None
    if department_id is not None and department is None:
        raise NotFound(msg("department.not_found_id", department=department_id))
    owner = indicator.department
    if department is not None and indicator.department_id != department.id:
        who = literal(owner.name) if owner is not None else msg("indicator.office")
        raise PermissionDenied(
            msg("indicator.owned_by", number=indicator.number, name=indicator.name, who=who)
        )
    if rnd.is_closed:
        raise RoundClosed(msg("round.closed", year=FiscalYear(rnd.fiscal_year)))
    amount = parse_value(value, unit=indicator.unit) if isinstance(value, str) else float(value)
    check_value(
        amount, unit=indicator.unit, what=msg("indicator.value_of", number=indicator.number)
    )

    current = session.scalar(
        select(IndicatorValue).where(
            IndicatorValue.round_id == rnd.id, IndicatorValue.indicator_id == indicator.id
        )
    )

    def outcome(status: str, stored: IndicatorValue) -> IndicatorOutcome:
        reporter_dept = (
            session.get(Department, stored.department_id) if stored.department_id else None
        )
        return IndicatorOutcome(
            status=status,
            number=indicator.number,
            name=indicator.name,
            unit=indicator.unit,
            value=stored.value,
            revision=stored.revision,
            department_name=reporter_dept.name if reporter_dept else None,
        )

    if source_key is not None:
        seen = session.scalar(
            select(IndicatorValueRevision).where(IndicatorValueRevision.source_key == source_key)
        )
        if seen is not None:
            return outcome(DUPLICATE, seen.current)
    if current is not None and current.value == amount:
        return outcome(UNCHANGED, current)
    when = now or utcnow()
    status = STORED if current is None else REVISED
    try:
        with session.begin_nested():
            if current is None:
                current = IndicatorValue(
                    round_id=rnd.id, indicator_id=indicator.id, value=amount, revision=0
                )
                session.add(current)
            current.revision += 1
            current.value = amount
            current.reporter = reporter
            current.channel = channel
            current.department_id = department_id
            current.reported_at = when
            session.flush()
            session.add(
                IndicatorValueRevision(
                    value_id=current.id,
                    revision=current.revision,
                    value=amount,
                    reporter=reporter,
                    channel=channel,
                    department_id=department_id,
                    source_key=source_key,
                    created_at=when,
                )
            )
            if audited and department_id is None:
                session.add(
                    AuditEntry(
                        actor=reporter,
                        action="proxy_indicator",
                        detail={
                            "round": rnd.id,
                            "indicator": indicator.number,
                            "department": owner.name if owner is not None else None,
                            "value": amount,
                            "revision": current.revision,
                        },
                    )
                )
            session.flush()
    except IntegrityError:
        # A concurrent delivery of the same event won the race: it stored the value.
        stored = session.scalar(
            select(IndicatorValue).where(
                IndicatorValue.round_id == rnd.id, IndicatorValue.indicator_id == indicator.id
            )
        )
        if stored is None:
            raise
        session.refresh(stored)
        return outcome(DUPLICATE, stored)
    return outcome(status, current)


# --- status ------------------------------------------------------------------------------


def expected_value(indicator: Indicator, fiscal_year: int) -> float | None:
    """Where a straight line from baseline to target stands in `fiscal_year`."""
    base, by, ty = indicator.baseline_value, indicator.baseline_year, indicator.target_year
    if base is None or by is None or ty is None or ty <= by:
        return None
    share = min(max((fiscal_year - by) / (ty - by), 0.0), 1.0)
    return base + (indicator.target_value - base) * share


def progress_percent(indicator: Indicator, value: float) -> float | None:
    """(value − baseline) / (target − baseline), in percent, one decimal."""
    base = indicator.baseline_value
    if base is None or indicator.target_value == base:
        return None
    return round(100 * (value - base) / (indicator.target_value - base), 1)


def indicator_status(
    session: Session, *, round_id: int, department_id: int | None = None
) -> tuple[IndicatorStatus, ...]:
    """Every indicator of the round's plan (or only those `department_id` reports) with this
    round's value, progress and on-track."""
    rnd = get_round(session, round_id=round_id)
    query = (
        select(Indicator, IndicatorValue)
        .outerjoin(
            IndicatorValue,
            (IndicatorValue.indicator_id == Indicator.id) & (IndicatorValue.round_id == rnd.id),
        )
        .where(Indicator.plan_id == rnd.plan_id)
        .order_by(Indicator.position, Indicator.id)
    )
    if department_id is not None:
        query = query.where(Indicator.department_id == department_id)
    rows = session.execute(query).all()
    result: list[IndicatorStatus] = []
    for indicator, current in rows:
        value = current.value if current is not None else None
        expected = expected_value(indicator, rnd.fiscal_year)
        on_track: bool | None = None
        if value is not None and expected is not None and indicator.baseline_value is not None:
            rising = indicator.target_value >= indicator.baseline_value
            on_track = value >= expected if rising else value <= expected
        result.append(
            IndicatorStatus(
                number=indicator.number,
                name=indicator.name,
                unit=indicator.unit,
                baseline_year=indicator.baseline_year,
                baseline_value=indicator.baseline_value,
                target_year=indicator.target_year,
                target_value=indicator.target_value,
                department_name=indicator.department.name if indicator.department else None,
                source=indicator.source,
                value=value,
                revision=current.revision if current is not None else 0,
                reporter=current.reporter if current is not None else "",
                progress=progress_percent(indicator, value) if value is not None else None,
                expected=round(expected, 2) if expected is not None else None,
                on_track=on_track,
            )
        )
    return tuple(result)
