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
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from handlers.errors import InvalidInput, NotFound
from handlers.fiscal import reiwa_label
from handlers.normalize import fold_key
from handlers.plan.table_import.build import ParsedItem, parse_plan
from handlers.plan.table_import.columns import Column, ColumnOverrides, Layout, detect_layout
from handlers.plan.table_import.departments import split_departments
from handlers.plan.table_import.reader import Grid, read_grid
from handlers.reporting.handout import BULLET
from handlers.reporting.reports import MAX_COMMENT, submit_answer
from handlers.reporting.rounds import close_round, open_round
from handlers.scale import DEFAULT_SCALE, GradeScale
from models import Assignment, Department, Item, Plan, PlanNode, Round

GRADE_HEADERS = ["達成度", "評価", "進捗度", "進捗状況", "達成状況評価", "自己評価", "GRADE"]
COMMENT_HEADERS = [
    "取組計画と達成状況",
    "達成状況",
    "取組状況",
    "取組実績",
    "実績",
    "コメント",
    "COMMENT",
]
CHANNEL = "import"
MAX_LISTED = 30


@dataclass(frozen=True)
class ResultsImport:
    round_id: int
    label: str
    plan_name: str
    slots: int
    answered: int
    comments: int


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


def _find(columns: list[Column], names: list[str]) -> Column | None:
    for name in names:
        for col in columns:
            if fold_key(col.header) == name:
                return col
    return None


def _result_columns(layout: Layout, *, file: str) -> tuple[Column, Column | None]:
    """The grade and comment columns among the ones the plan layout ignores."""
    grade = _find(layout.ignored, GRADE_HEADERS)
    if grade is None:
        seen = "、".join(str(c) for c in layout.ignored) or "（なし）"
        raise InvalidInput(
            f"{file}: 達成度の列が見つかりません（見出しに 達成度・評価 のどちらかが必要です）。"
            f"取組項目・担当課以外の列: {seen}"
        )
    comment = _find([c for c in layout.ignored if c != grade], COMMENT_HEADERS)
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
    grade_col: Column,
    comment_col: Column | None,
) -> tuple[list[_Row], list[_Comment]]:
    """Every department line and comment cell, attached to the item it belongs to.

    A line belongs to the last item started at or above it, exactly as the plan importer
    attaches continuation rows.
    """
    starts = [item.row for item in items]  # 1-based, ascending
    rows: list[_Row] = []
    comments: list[_Comment] = []
    for index in range(layout.header_row + 1, len(grid.rows)):
        at = bisect_right(starts, index + 1) - 1
        if at < 0:
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
    session: Session, plan: Plan, parsed: list[ParsedItem], problems: list[str]
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
            reason = "が計画にありません" if not found else "に当たる項目が計画に複数あります"
            problems.append(f"{p.row}行目: 取組項目「{shown}」{reason}")
            continue
        item = found[0]
        if item.id in first_row:
            problems.append(
                f"{p.row}行目: 取組項目「{shown}」は {first_row[item.id]}行目と同じ項目です"
            )
            continue
        first_row[item.id] = p.row
        matched[id(p)] = item
    return matched


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
    now: datetime | None = None,
) -> ResultsImport:
    """Load a past 達成状況一覧 as the closed round `fiscal_year` of the plan."""
    plan = session.get(Plan, plan_id)
    if plan is None or plan.organization_id != organization_id:
        raise NotFound(f"計画 {plan_id} が見つかりません（hokoku plan list で確認できます）。")
    scale = scale or DEFAULT_SCALE
    grid = read_grid(path, sheet=sheet)
    layout = detect_layout(grid, ColumnOverrides(sheet=sheet), file=path.name)
    grade_col, comment_col = _result_columns(layout, file=path.name)
    parsed = parse_plan(grid, layout, file=path.name)
    rows, comments = _walk(grid, layout, parsed.items, grade_col, comment_col)

    problems: list[str] = []
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
            problems.append(f"{line}行目: 担当課「{row.department}」が登録されていません")
            continue
        if item is None:
            continue  # already listed as an unknown item
        if all(a.department_id != dept.id for a in item.assignments):
            problems.append(
                f"{line}行目: 担当課「{dept.name}」は取組項目「{item.display}」の担当ではありません"
            )
            continue
        key = (item.id, dept.id)
        if key in line_of:
            problems.append(
                f"{line}行目: 取組項目「{item.display}」の{dept.name}は {line_of[key]}行目にもあります"
            )
            continue
        line_of[key] = line
        if not row.grade:
            continue
        letter = scale.match(row.grade)
        if letter is None:
            problems.append(
                f"{line}行目: 達成度「{row.grade}」は評価基準（{scale.hint()}）にありません"
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
                f"{line}行目: 取組項目「{item.display}」のコメントの担当課に達成度がありません"
            )
            continue
        for key, text in wanted.items():
            if len(text) > MAX_COMMENT:
                problems.append(
                    f"{line}行目: コメントが{MAX_COMMENT}字を超えています（{len(text)}字）"
                )
            else:
                texts[key] = "\n".join(t for t in (texts.get(key, ""), text) if t)
    if problems:
        unique = list(dict.fromkeys(problems))
        shown = "、".join(unique[:MAX_LISTED])
        more = f" ほか {len(unique) - MAX_LISTED} 件" if len(unique) > MAX_LISTED else ""
        raise InvalidInput(
            f"{path.name} を取り込めません（何も書き込んでいません）。次の行を直してください: "
            f"{shown}{more}"
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
    )
