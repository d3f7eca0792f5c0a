"""Last year's 達成状況一覧 in, as a closed round of the plan: so year one already shows 前年.

The table has the shape the committee gets (and `hokoku export` writes): hierarchy columns,
取組項目, 担当課, 達成度 per item × department row, one comment per item; a blank cell means
"same as above". It is read with the plan importer's reader and row walker, so every encoding
and XLSX layout the plan import takes works here too. Items are matched to the plan's items
(code + title, else title, folded; the hierarchy decides between equal ones), departments by
folded name. Every problem is collected and raised as one error before anything is written.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from handlers.errors import InvalidInput, NotFound
from handlers.fiscal import reiwa_label
from handlers.i18n import FiscalYear, Message, literal, msg
from handlers.normalize import fold_key
from handlers.plan.table_import.build import ParsedItem, parse_plan
from handlers.plan.table_import.columns import (
    Column,
    ColumnOverrides,
    Layout,
    column_by_spec,
    detect_layout,
)
from handlers.plan.table_import.departments import split_departments
from handlers.plan.table_import.headers import HeaderText, read_header
from handlers.plan.table_import.reader import Grid, read_grid
from handlers.reporting.handout import (
    BULLET,
    COMMENT_WORDS,
    EVALUATION_WORDS,
    GRADE_WORDS,
    PREVIOUS_GRADE_WORDS,
)
from handlers.reporting.reports import MAX_COMMENT, submit_answer
from handlers.reporting.rounds import close_round, open_round
from handlers.scale import DEFAULT_SCALE, GradeScale
from models import Assignment, Department, Item, Plan, PlanNode, Round

# Column words, without the year label (`read_header` takes （R7）, 令和7年度, FY2025 … off).
GRADE_HEADERS = (
    *GRADE_WORDS,
    *PREVIOUS_GRADE_WORDS,
    "評価",
    "進捗度",
    "進捗状況",
    "達成状況評価",
    "自己評価",
    "評価結果",
)
# What an office writes before 評価 to say it is the department's own: 各課評価, 担当課評価.
GRADE_PREFIXES = ("", "各課", "担当課", "所管課", "主管課", "課", "部署", "各部署")
# A committee's (or anyone else's) grade is not the departments' answer.
NOT_GRADE = ("委員会", "審議会", "外部", "市民", "COMMITTEE", *EVALUATION_WORDS)
COMMENT_HEADERS = (
    *COMMENT_WORDS,
    "達成状況",
    "取組状況",
    "取組実績",
    "実績",
    "取組内容と実績",
    "コメント",
    "COMMENT",
)
CHANNEL = "import"
MAX_LISTED = 30

_GRADE_KEYS = {fold_key(p + w) for p in GRADE_PREFIXES for w in GRADE_HEADERS}
_NOT_GRADE_KEYS = tuple(fold_key(w) for w in NOT_GRADE)
_COMMENT_KEYS = tuple(fold_key(w) for w in COMMENT_HEADERS)


@dataclass(frozen=True)
class ResultsImport:
    round_id: int
    label: str
    plan_name: str
    slots: int
    answered: int
    comments: int
    fiscal_year: int = 0
    grade_column: str = ""  # `E:達成度（R7）`: the column the grades came from
    comment_column: str = ""  # "" when the table has none


@dataclass
class _Row:
    """One department's line of the table (0-based grid index)."""

    index: int
    item: ParsedItem
    department: str
    grade: str


@dataclass
class _Comment:
    index: int
    item: ParsedItem
    department: str
    text: str


def _is_grade(header: HeaderText) -> bool:
    if any(word in header.key for word in _NOT_GRADE_KEYS):
        return False
    return header.key in _GRADE_KEYS


def _is_comment(header: HeaderText) -> bool:
    return header.key in _COMMENT_KEYS


def _named(columns: Iterable[Column]) -> tuple[str, ...]:
    return tuple(str(c) for c in columns)


def _pick(
    candidates: list[Column], *, fiscal_year: int, file: str, what: str, option: str
) -> Column | None:
    """This year's column among `candidates`: the one whose label names `fiscal_year`, else
    the one without a year that is not marked as last year's; two that fit equally are an
    error naming both (the office says which with `option`)."""
    if not candidates:
        return None
    read = {c.index: read_header(c.header) for c in candidates}
    if len(candidates) == 1:
        [only] = candidates
        header = read[only.index]
        if header.year is not None and header.year != fiscal_year:
            raise InvalidInput(
                msg(
                    f"results_import.{what}.other_year",
                    file=file,
                    column=str(only),
                    year=FiscalYear(header.year),
                    wanted=FiscalYear(fiscal_year),
                    option=option,
                )
            )
        if header.previous:
            raise InvalidInput(
                msg(
                    f"results_import.{what}.previous_only",
                    file=file,
                    column=str(only),
                    option=option,
                )
            )
        return only
    this_year = [c for c in candidates if read[c.index].year == fiscal_year]
    if len(this_year) == 1:
        return this_year[0]
    plain = [c for c in candidates if read[c.index].year is None and not read[c.index].previous]
    if not this_year and len(plain) == 1:
        return plain[0]
    raise InvalidInput(
        msg(
            f"results_import.{what}.ambiguous",
            file=file,
            columns=_named(this_year or candidates),
            year=FiscalYear(fiscal_year),
            option=option,
        )
    )


def _result_columns(
    layout: Layout,
    *,
    file: str,
    fiscal_year: int,
    grade_spec: str | None,
    comment_spec: str | None,
) -> tuple[Column, Column | None]:
    """The grade and comment columns among the ones the plan layout ignores (or named)."""

    def named(spec: str, option: str) -> Column:
        return column_by_spec(
            layout.all_columns, spec, file=file, row=layout.header_row, option=option
        )

    if grade_spec is not None:
        grade = named(grade_spec, "--grade-column")
    else:
        candidates = [c for c in layout.ignored if _is_grade(read_header(c.header))]
        found = _pick(
            candidates, fiscal_year=fiscal_year, file=file, what="grade", option="--grade-column"
        )
        if found is None:
            raise InvalidInput(
                msg(
                    "results_import.grade.missing",
                    file=file,
                    columns=_named(layout.ignored) or (msg("plan_import.none"),),
                )
            )
        grade = found
    if comment_spec is not None:
        comment: Column | None = named(comment_spec, "--comment-column")
    else:
        candidates = [
            c for c in layout.ignored if c != grade and _is_comment(read_header(c.header))
        ]
        best = min((_COMMENT_KEYS.index(read_header(c.header).key) for c in candidates), default=0)
        comment = _pick(
            [c for c in candidates if _COMMENT_KEYS.index(read_header(c.header).key) == best],
            fiscal_year=fiscal_year,
            file=file,
            what="comment",
            option="--comment-column",
        )
    if comment is not None and comment.index == grade.index:
        raise InvalidInput(msg("results_import.same_column", file=file, column=str(grade)))
    return grade, comment


def _split_bullets(text: str, departments: list[str]) -> dict[str, str] | None:
    """`・【学校教育課】…` bullets (the export's merged comment) back into department → text.

    None when the text is not made of such bullets naming the item's own departments.
    """
    chunks: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        if line.startswith(f"{BULLET}【") and "】" in line:
            name, _, rest = line[2:].partition("】")
            chunks.append((name, [rest]))
        elif chunks:
            chunks[-1][1].append(line)
        else:
            return None
    by_key = {fold_key(d): d for d in departments}
    parsed: dict[str, str] = {}
    for name, lines in chunks:
        dept = by_key.get(fold_key(name))
        if dept is None or dept in parsed:
            return None
        parsed[dept] = "\n".join(lines).strip()
    return parsed or None


def _walk(
    grid: Grid,
    layout: Layout,
    items: list[ParsedItem],
    skipped: set[int],
    grade_col: Column,
    comment_col: Column | None,
) -> tuple[list[_Row], list[_Comment]]:
    """Every department line and comment cell, attached to the item it belongs to.

    A line belongs to the last item started at or above it, exactly as the plan importer
    attaches continuation rows; headings, notes and repeated headers (`skipped`) are none.
    """
    starts = [item.row for item in items]  # 1-based, ascending
    rows: list[_Row] = []
    comments: list[_Comment] = []
    for index in range(layout.header_row + 1, len(grid.rows)):
        at = bisect_right(starts, index + 1) - 1
        if at < 0 or index in skipped:
            continue
        item = items[at]
        names: list[str] = []
        for col in layout.departments:
            names.extend(split_departments(grid.cell(index, col.index)))
        grade = grid.cell(index, grade_col.index).strip()
        for name in names:
            rows.append(_Row(index, item, name, grade))
        if comment_col is not None and (index, comment_col.index) not in grid.merged:
            text = grid.cell(index, comment_col.index).strip()
            if text:
                comments.append(_Comment(index, item, names[0] if names else "", text))
    return rows, comments


def _node_keys(node_id: int | None, nodes: dict[int, PlanNode]) -> tuple[str, ...]:
    keys: list[str] = []
    while node_id is not None and node_id in nodes:
        node = nodes[node_id]
        keys.append(fold_key(node.code) if node.code else fold_key(node.title))
        node_id = node.parent_id
    return tuple(reversed(keys))


def _match_items(
    session: Session, plan: Plan, parsed: list[ParsedItem], problems: list[Message]
) -> dict[int, Item]:
    """id(parsed item) → plan item: code + title, else title; the hierarchy breaks ties."""
    items = list(
        session.scalars(
            select(Item)
            .where(Item.plan_id == plan.id)
            .options(selectinload(Item.assignments).selectinload(Assignment.department))
        )
    )
    nodes = {n.id: n for n in session.scalars(select(PlanNode).where(PlanNode.plan_id == plan.id))}
    by_code_title: dict[tuple[str, str], list[Item]] = defaultdict(list)
    by_title: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_code_title[(fold_key(item.code), fold_key(item.title))].append(item)
        by_title[fold_key(item.title)].append(item)
    matched: dict[int, Item] = {}
    first_row: dict[int, int] = {}
    for p in parsed:
        path = p.node.path_key() if p.node else ()
        found: list[Item] = []
        for candidates in (
            by_code_title.get((fold_key(p.code), fold_key(p.title)), []),
            by_title.get(fold_key(p.title), []),
        ):
            if len(candidates) > 1:
                candidates = [c for c in candidates if _node_keys(c.node_id, nodes) == path]
            if candidates:
                found = candidates
                break
        shown = f"{p.code} {p.title}".strip()
        if len(found) != 1:
            reason = "unknown_item" if not found else "ambiguous_item"
            problems.append(msg(f"results_import.problem.{reason}", row=p.row, item=shown))
            continue
        item = found[0]
        if item.id in first_row:
            problems.append(
                msg(
                    "results_import.problem.same_item",
                    row=p.row,
                    item=shown,
                    first=first_row[item.id],
                )
            )
            continue
        first_row[item.id] = p.row
        matched[id(p)] = item
    return matched


def _unique(problems: list[Message]) -> list[Message]:
    seen: set[tuple[str, tuple[tuple[str, object], ...]]] = set()
    unique: list[Message] = []
    for problem in problems:
        key = (problem.id, tuple(sorted((k, repr(v)) for k, v in problem.params.items())))
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def import_results(
    session: Session,
    *,
    organization_id: int,
    plan_id: int,
    path: Path,
    fiscal_year: int,
    reporter: str,
    scale: GradeScale | None = None,
    sheet: str | None = None,
    grade_column: str | None = None,
    comment_column: str | None = None,
    now: datetime | None = None,
) -> ResultsImport:
    """Load a past 達成状況一覧 as the closed round `fiscal_year` of the plan.

    The grade column is found by its word (達成度, 評価, 各課評価, Grade …) whatever year label
    it carries; of two (last year's and this year's), the one labelled `fiscal_year` is
    taken, and two that fit equally are refused naming both. `grade_column` /
    `comment_column` (header text, letter or number) name them instead.
    """
    plan = session.get(Plan, plan_id)
    if plan is None or plan.organization_id != organization_id:
        raise NotFound(msg("results_import.no_plan", plan=plan_id))
    scale = scale or DEFAULT_SCALE
    grid = read_grid(path, sheet=sheet)
    layout = detect_layout(grid, ColumnOverrides(sheet=sheet), file=path.name)
    grade_col, comment_col = _result_columns(
        layout,
        file=path.name,
        fiscal_year=fiscal_year,
        grade_spec=grade_column,
        comment_spec=comment_column,
    )
    parsed = parse_plan(grid, layout, file=path.name)
    rows, comments = _walk(grid, layout, parsed.items, parsed.skipped_rows, grade_col, comment_col)

    problems: list[Message] = []
    matched = _match_items(session, plan, parsed.items, problems)
    departments = {
        fold_key(d.name): d
        for d in session.scalars(
            select(Department).where(Department.organization_id == organization_id)
        )
    }
    grades: dict[tuple[int, int], str] = {}  # (item id, department id) → letter
    line_of: dict[tuple[int, int], int] = {}
    for row in rows:
        line = row.index + 1
        item = matched.get(id(row.item))
        dept = departments.get(fold_key(row.department))
        if dept is None:
            problems.append(
                msg("results_import.problem.unknown_department", row=line, name=row.department)
            )
            continue
        if item is None:
            continue  # already listed as an unknown item
        if all(a.department_id != dept.id for a in item.assignments):
            problems.append(
                msg(
                    "results_import.problem.not_assigned",
                    row=line,
                    name=dept.name,
                    item=item.display,
                )
            )
            continue
        key = (item.id, dept.id)
        if key in line_of:
            problems.append(
                msg(
                    "results_import.problem.twice",
                    row=line,
                    item=item.display,
                    name=dept.name,
                    first=line_of[key],
                )
            )
            continue
        line_of[key] = line
        if not row.grade:
            continue
        letter = scale.match(row.grade)
        if letter is None:
            problems.append(
                msg(
                    "results_import.problem.grade",
                    row=line,
                    grade=row.grade,
                    scale=scale.hint(),
                )
            )
            continue
        grades[key] = letter

    texts: dict[tuple[int, int], str] = {}
    for comment in comments:
        item = matched.get(id(comment.item))
        if item is None:
            continue
        line = comment.index + 1
        ids = {a.department.name: a.department_id for a in item.assignments}
        by_dept = _split_bullets(comment.text, list(ids))
        wanted: dict[tuple[int, int], str] = {}
        if by_dept is None:
            # One comment for the item: the department on its line owns it, else the first
            # graded one. The export writes it back as `・…`, so a leading bullet is dropped.
            dept = departments.get(fold_key(comment.department))
            graded = [key for key in grades if key[0] == item.id]
            here = (item.id, dept.id) if dept is not None else None
            owner = here if here in grades else (graded[0] if graded else None)
            if owner is not None:
                wanted[owner] = comment.text.removeprefix(BULLET).strip()
        else:
            wanted = {(item.id, ids[name]): text for name, text in by_dept.items()}
        if not wanted or any(key not in grades for key in wanted):
            problems.append(
                msg("results_import.problem.comment_ungraded", row=line, item=item.display)
            )
            continue
        for key, text in wanted.items():
            if len(text) > MAX_COMMENT:
                problems.append(
                    msg(
                        "results_import.problem.comment_long",
                        row=line,
                        limit=MAX_COMMENT,
                        length=len(text),
                    )
                )
            else:
                texts[key] = "\n".join(t for t in (texts.get(key, ""), text) if t)
    if problems:
        unique = _unique(problems)
        more = len(unique) - MAX_LISTED
        raise InvalidInput(
            msg(
                "results_import.refused",
                file=path.name,
                problems=tuple(unique[:MAX_LISTED]),
                more=msg("list.more", count=more) if more > 0 else literal(""),
            )
        )

    end_of_year = date(fiscal_year + 1, 3, 31)
    info = open_round(
        session,
        plan=plan,
        fiscal_year=fiscal_year,
        deadline=end_of_year,
        opens_on=end_of_year,
        scale=scale,
    )
    numbers = {item.id: item.number for item in matched.values()}
    for (item_id, department_id), letter in grades.items():
        submit_answer(
            session,
            round_id=info.id,
            department_id=department_id,
            item_number=numbers[item_id],
            grade=letter,
            comment=texts.get((item_id, department_id), ""),
            reporter=reporter,
            channel=CHANNEL,
            now=now,
        )
    close_round(session, rnd=session.get_one(Round, info.id), now=now)
    return ResultsImport(
        round_id=info.id,
        label=reiwa_label(fiscal_year),
        plan_name=plan.name,
        slots=info.slots,
        answered=len(grades),
        comments=len(texts),
        fiscal_year=fiscal_year,
        grade_column=str(grade_col),
        comment_column=str(comment_col) if comment_col is not None else "",
    )
