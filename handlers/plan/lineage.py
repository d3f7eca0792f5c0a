"""Items keep their identity across plan periods (第6次 → 第7次).

A new plan names the plan it continues (`Plan.predecessor_id`) and each of its items the old
item it continues (`Item.predecessor_id`), so that the first round of the new plan shows
last year's answers (`handlers.reporting.rounds.previous_round` / `previous_join`). The links come
from an explicit mapping table (old number → new number) and, for the items it does not
mention, from equal titles (NFKC-folded, unique on both sides).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound, import_refused, line_problem
from handlers.i18n import Message, msg
from handlers.normalize import fold, fold_key
from handlers.plan.table_import.reader import Grid, read_grid
from models import Item, Plan

OLD_HEADER_MARKS = ("旧", "前", "OLD", "FROM")
NEW_HEADER_MARKS = ("新", "NEW", "TO")
MAX_LISTED = 20


@dataclass(frozen=True)
class LinkedItem:
    number: int
    display: str


@dataclass(frozen=True)
class LineageResult:
    plan_id: int
    plan_name: str
    predecessor_id: int
    predecessor_name: str
    by_map: int  # items linked by the mapping table
    by_title: int  # items linked by equal titles
    kept: int  # items that kept the link they had (re-import without a mapping)
    unlinked: tuple[LinkedItem, ...]  # new items with no predecessor (new in this plan)


@dataclass(frozen=True)
class _Mapping:
    pairs: dict[int, int]  # new number → old number
    mentioned_old: set[int]
    mentioned_new: set[int]


def _number(text: str) -> int | None:
    value = fold(text).lstrip("#").removeprefix("No.").removeprefix("NO.")
    return int(value) if value.isdigit() else None


def _columns(grid: Grid) -> tuple[int, int, int]:
    """(first data row, old column, new column): from a header row, else the first two columns."""
    first = next(i for i, row in enumerate(grid.rows) if any(row))
    header = [fold_key(cell) for cell in grid.rows[first]]
    if all(_number(cell) is not None or not cell for cell in grid.rows[first]):
        return first, 0, 1
    old = next((i for i, h in enumerate(header) if any(m in h for m in OLD_HEADER_MARKS)), 0)
    new = next(
        (i for i, h in enumerate(header) if i != old and any(m in h for m in NEW_HEADER_MARKS)),
        1 if old == 0 else 0,
    )
    return first + 1, old, new


def _read_mapping(path: Path, *, old_numbers: set[int], new_numbers: set[int]) -> _Mapping:
    """Old → new item numbers from a two-column table; every problem listed in one error.

    A blank new number means the old item ends; a blank old number means the new item is new.
    """
    grid = read_grid(path)
    start, old_col, new_col = _columns(grid)
    pairs: dict[int, int] = {}
    rows_of_new: dict[int, int] = {}
    mentioned_old: set[int] = set()
    mentioned_new: set[int] = set()
    problems: list[Message] = []
    for index in range(start, len(grid.rows)):
        row = index + 1
        old_text, new_text = grid.cell(index, old_col), grid.cell(index, new_col)
        if not old_text and not new_text:
            continue
        old = _number(old_text) if old_text else None
        new = _number(new_text) if new_text else None
        if old_text and old is None:
            problems.append(line_problem(row, "lineage.old_not_number", text=old_text))
            continue
        if new_text and new is None:
            problems.append(line_problem(row, "lineage.new_not_number", text=new_text))
            continue
        if old is not None and old not in old_numbers:
            problems.append(line_problem(row, "lineage.old_unknown", number=old))
        if new is not None and new not in new_numbers:
            problems.append(line_problem(row, "lineage.new_unknown", number=new))
        if new is not None and new in rows_of_new:
            problems.append(
                line_problem(row, "lineage.new_twice", number=new, first=rows_of_new[new])
            )
        if old is not None:
            mentioned_old.add(old)
        if new is not None:
            mentioned_new.add(new)
            rows_of_new.setdefault(new, row)
        if old is not None and new is not None:
            pairs[new] = old
    if problems:
        raise import_refused(path.name, problems, limit=MAX_LISTED, refusal="lineage.refused")
    return _Mapping(pairs, mentioned_old, mentioned_new)


def _unique_titles(items: list[Item]) -> dict[str, Item]:
    counts = Counter(fold_key(item.title) for item in items)
    return {fold_key(i.title): i for i in items if counts[fold_key(i.title)] == 1}


def continue_plan(
    session: Session,
    *,
    plan_id: int,
    predecessor_id: int,
    mapping: Path | None = None,
    keep_existing: bool = False,
) -> LineageResult:
    """Link `plan_id` to the plan it continues and each item to its old item.

    With `mapping`, its pairs win and the items it mentions are linked by it only; the rest
    are matched by equal folded titles. `keep_existing` keeps links items already have (a
    re-import of the new plan without a mapping only links the items that were added).
    """
    plan = session.get(Plan, plan_id)
    old_plan = session.get(Plan, predecessor_id)
    if plan is None or old_plan is None:
        raise NotFound(msg("lineage.plan_not_found"))
    if plan.id == old_plan.id:
        raise InvalidInput(msg("lineage.continues_itself"))
    ancestor: Plan | None = old_plan
    while ancestor is not None:
        if ancestor.predecessor_id == plan.id:
            raise InvalidInput(msg("lineage.cycle", old=old_plan.name, new=plan.name))
        ancestor = session.get(Plan, ancestor.predecessor_id) if ancestor.predecessor_id else None
    new_items = list(session.scalars(select(Item).where(Item.plan_id == plan.id)))
    old_items = list(session.scalars(select(Item).where(Item.plan_id == old_plan.id)))
    old_by_number = {item.number: item for item in old_items}
    old_ids = {item.id for item in old_items}

    pairs: dict[int, int] = {}
    mentioned_old: set[int] = set()
    mentioned_new: set[int] = set()
    if mapping is not None:
        read = _read_mapping(
            mapping,
            old_numbers=set(old_by_number),
            new_numbers={item.number for item in new_items},
        )
        pairs, mentioned_old, mentioned_new = read.pairs, read.mentioned_old, read.mentioned_new

    kept = by_map = by_title = 0
    pending: list[Item] = []
    for item in sorted(new_items, key=lambda i: i.position):
        if item.number in pairs:
            item.predecessor_id = old_by_number[pairs[item.number]].id
            by_map += 1
        elif item.number in mentioned_new:
            item.predecessor_id = None
        elif keep_existing and item.predecessor_id in old_ids:
            kept += 1
        else:
            item.predecessor_id = None
            pending.append(item)
    taken = {i.predecessor_id for i in new_items if i.predecessor_id is not None}
    candidates = _unique_titles(
        [o for o in old_items if o.number not in mentioned_old and o.id not in taken]
    )
    pending_titles = Counter(fold_key(item.title) for item in pending)
    for item in pending:
        key = fold_key(item.title)
        if pending_titles[key] == 1 and key in candidates:
            item.predecessor_id = candidates[key].id
            by_title += 1
    plan.predecessor_id = old_plan.id
    session.flush()
    unlinked = tuple(
        LinkedItem(item.number, item.display)
        for item in sorted(new_items, key=lambda i: i.position)
        if item.predecessor_id is None
    )
    return LineageResult(
        plan_id=plan.id,
        plan_name=plan.name,
        predecessor_id=old_plan.id,
        predecessor_name=old_plan.name,
        by_map=by_map,
        by_title=by_title,
        kept=kept,
        unlinked=unlinked,
    )
