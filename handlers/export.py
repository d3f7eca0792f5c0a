"""The committee's table (達成状況一覧) of one round: built by a few queries into plain rows.

`build_table` reads the round; `handlers.export_xlsx.write_xlsx` and
`handlers.export_csv.write_csv` lay it out. Rows are one per item × department in plan order (Item.position, Assignment.position);
the hierarchy path and the item's merged comment travel with every row so that writers can
decide what to repeat and what to merge.

A (再掲) item keeps its own rows (its place in the plan, its departments), but shows the
answer given on its original: each department's grade on the original and the original's
merged comment (`ExportRow.repost_of` names the original's number).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from handlers.errors import NotFound
from handlers.fiscal import reiwa_label
from handlers.scale import GradeScale
from models import Assignment, Department, Item, PlanNode, Report, Round

DEPARTMENT_HEADER = "担当課"
GRADE_HEADER = "達成度"
COMMENT_HEADER = "取組計画と達成状況"
BULLET = "・"
# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """Text that no spreadsheet will evaluate: a leading formula character gets a `'`."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


@dataclass(frozen=True)
class ExportRow:
    """One item × department line. `path`/`path_keys` have one entry per hierarchy level."""

    item_id: int
    item_number: int
    path: tuple[str, ...]  # node display per level ("" where the item sits higher up)
    path_keys: tuple[str, ...]  # identity of the cell per level, for merging equal runs
    item: str  # Item.display: code (+★) and title
    department: str
    grade: str | None  # None = not answered yet
    comment: str  # the item's merged comment (same on every row of the item)
    repost_of: int | None = None  # (再掲): the original's item number, whose answer is shown

    @property
    def answered(self) -> bool:
        return self.grade is not None


@dataclass(frozen=True)
class ExportTable:
    round_id: int
    round_label: str  # 令和5年度
    plan_name: str
    plan_title: str  # Plan.title, else the name: what the header shows
    level_labels: tuple[str, ...]
    item_label: str
    scale: GradeScale
    rows: tuple[ExportRow, ...]

    @property
    def title(self) -> str:
        return f"{self.round_label} 達成状況一覧（{self.plan_title}）"

    @property
    def headers(self) -> tuple[str, ...]:
        return (
            *self.level_labels,
            self.item_label,
            DEPARTMENT_HEADER,
            GRADE_HEADER,
            COMMENT_HEADER,
        )

    @property
    def item_column(self) -> int:
        """0-based index of the item column (the hierarchy columns come first)."""
        return len(self.level_labels)

    @property
    def comment_column(self) -> int:
        return len(self.level_labels) + 3

    def item_runs(self) -> list[tuple[int, int]]:
        """(first, last) row index of each item, in order."""
        return _runs([str(row.item_id) for row in self.rows])

    def level_runs(self, level: int) -> list[tuple[int, int]]:
        """(first, last) row index of each run of consecutive rows under the same node."""
        return _runs([row.path_keys[level] for row in self.rows])


def _runs(keys: list[str]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for index, key in enumerate(keys):
        if runs and keys[runs[-1][0]] == key:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def merge_comments(comments: list[tuple[str, str]]) -> str:
    """The item's comment cell from (department, comment) in assignment order.

    Every non-empty comment becomes one `・` bullet. When several departments commented, the
    bullet names its department (`・【学校教育課】…`) so that the committee can tell whose
    work each sentence describes; a single comment stays a plain `・…`.
    """
    given = [(dept, text.strip()) for dept, text in comments if text.strip()]
    if len(given) == 1:
        return f"{BULLET}{given[0][1]}"
    return "\n".join(f"{BULLET}【{dept}】{text}" for dept, text in given)


def _paths(session: Session, *, plan_id: int, levels: int) -> dict[int, tuple[PlanNode, ...]]:
    """Node chain (top first) of every node of the plan, from one query."""
    nodes = {n.id: n for n in session.scalars(select(PlanNode).where(PlanNode.plan_id == plan_id))}
    chains: dict[int, tuple[PlanNode, ...]] = {}
    for node_id in nodes:
        chain: list[PlanNode] = []
        current: int | None = node_id
        while current is not None and current in nodes and len(chain) <= levels:
            chain.append(nodes[current])
            current = nodes[current].parent_id
        chains[node_id] = tuple(reversed(chain))
    return chains


def build_table(session: Session, *, round_id: int) -> ExportTable:
    """Every item × department of the round's plan with its current answer, in plan order.

    Three queries: the round, the plan's nodes, and the rows (items outer-joined to their
    assignments and this round's reports, so an item or department added to the plan after
    the round was opened still shows, as unanswered). The report of a row is the one of the
    same department on the item itself, or on its original for a (再掲) item.
    """
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(
            f"回 {round_id} が見つかりません（hokoku round list で一覧を確認できます）。"
        )
    plan = rnd.plan
    max_depth = session.scalar(
        select(PlanNode.depth).where(PlanNode.plan_id == plan.id).order_by(PlanNode.depth.desc())
    )
    labels = [str(label) for label in plan.level_labels]
    levels = max(len(labels), (max_depth + 1) if max_depth is not None else 0)
    labels += [f"階層{n + 1}" for n in range(len(labels), levels)]
    chains = _paths(session, plan_id=plan.id, levels=levels)

    answered = aliased(Assignment)  # the assignment whose slot answers this row
    result = session.execute(
        select(Item, Department.name, Report.grade, Report.comment)
        .outerjoin(Assignment, Assignment.item_id == Item.id)
        .outerjoin(Department, Department.id == Assignment.department_id)
        .outerjoin(
            answered,
            and_(
                answered.item_id == func.coalesce(Item.repost_of_id, Item.id),
                answered.department_id == Assignment.department_id,
            ),
        )
        .outerjoin(Report, and_(Report.assignment_id == answered.id, Report.round_id == rnd.id))
        .where(Item.plan_id == plan.id)
        .order_by(Item.position, Item.id, Assignment.position, Assignment.id)
    ).all()

    comments: dict[int, list[tuple[str, str]]] = {}
    numbers: dict[int, int] = {}
    for item, dept, _grade, comment in result:
        numbers[item.id] = item.number
        comments.setdefault(item.id, []).append((dept or "", comment or ""))
    merged = {item_id: merge_comments(given) for item_id, given in comments.items()}
    for item, *_ in result:
        if item.repost_of_id in merged:
            merged[item.id] = merged[item.repost_of_id]

    rows: list[ExportRow] = []
    for item, dept, grade, _comment in result:
        chain = chains.get(item.node_id, ()) if item.node_id is not None else ()
        by_depth = {min(node.depth, levels - 1): node for node in chain}
        path = tuple(by_depth[d].display if d in by_depth else "" for d in range(levels))
        keys = tuple(
            f"node:{by_depth[d].id}" if d in by_depth else f"item:{item.id}" for d in range(levels)
        )
        rows.append(
            ExportRow(
                item_id=item.id,
                item_number=item.number,
                path=path,
                path_keys=keys,
                item=item.display,
                department=dept or "",
                grade=grade,
                comment=merged[item.id],
                repost_of=numbers.get(item.repost_of_id) if item.repost_of_id else None,
            )
        )
    return ExportTable(
        round_id=rnd.id,
        round_label=reiwa_label(rnd.fiscal_year),
        plan_name=plan.name,
        plan_title=plan.display_title,
        level_labels=tuple(labels),
        item_label=plan.item_label,
        scale=GradeScale.from_json(rnd.scale),
        rows=tuple(rows),
    )
