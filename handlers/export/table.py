"""The committee's table (達成状況一覧) of one round: built by a few queries into plain rows.

`build_table` reads the round; `handlers.export.table_xlsx.write_xlsx` (the printed handout, laid
out by `handlers.export.table_layout`) and `handlers.export.table_csv.write_csv` write it. Rows are one
per item × department in plan order (Item.position, Assignment.position); the hierarchy
path and the item's merged comment travel with every row so that writers can decide what
to repeat and what to merge.

A (再掲) item keeps its own rows (its place in the plan, its departments), but shows the
answer given on its original: each department's grade on the original and the original's
merged comment (`ExportRow.repost_of` names the original's number).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, null, select
from sqlalchemy.orm import Session, aliased

from handlers.committee.evaluations import EvaluationSheet
from handlers.errors import InvalidInput
from handlers.i18n import msg, translator
from handlers.plan.nodes import node_chains
from handlers.reporting.handout import HandoutWords, handout_words, merge_comments
from handlers.reporting.rounds import get_round, previous_join, previous_round
from handlers.scale import GradeScale
from models import Assignment, Department, Item, PlanNode, Report

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
    previous_grade: str | None = None  # last year's grade of the same slot, if asked for
    repost_of: int | None = None  # (再掲): the original's item number, whose answer is shown
    evaluation: str | None = None  # the committee's grade of the item's node, if exported

    @property
    def answered(self) -> bool:
        return self.grade is not None


@dataclass(frozen=True)
class ExportTable:
    round_id: int
    fiscal_year: int
    words: HandoutWords  # the title's and headers' words, in the export's language
    plan_name: str
    plan_title: str  # the plan's display title (Plan.title, else its name)
    level_labels: tuple[str, ...]
    item_label: str
    scale: GradeScale
    rows: tuple[ExportRow, ...]
    previous_year: int | None = None  # set when the table carries last year's grades
    # Set when the table carries the committee's grade per item: the evaluated level (施策)
    # and the committee's scale.
    evaluation_level: str | None = None
    evaluation_scale: GradeScale | None = None

    @property
    def title(self) -> str:
        """`令和7年度 第5次計画 達成状況一覧` / `FY2025 … Progress report`."""
        year = translator(self.words.language).fiscal_year(self.fiscal_year)
        return f"{year} {self.plan_title} {self.words.document}"

    @property
    def with_previous(self) -> bool:
        return self.previous_year is not None

    @property
    def with_evaluation(self) -> bool:
        return self.evaluation_level is not None

    @property
    def headers(self) -> tuple[str, ...]:
        """Plain column names (the CSV, which `hokoku plan import` reads back)."""
        words = self.words
        previous = (words.previous_grade,) if self.with_previous else ()
        evaluation = (words.evaluation,) if self.with_evaluation else ()
        return (
            *self.level_labels,
            self.item_label,
            words.department,
            *previous,
            words.grade,
            *evaluation,
            words.comment,
        )

    @property
    def handout_headers(self) -> tuple[str, ...]:
        """Column names of the printed table, with the year of the answers (担当課（R5） /
        Department (FY2023))."""
        words, year = self.words, self.fiscal_year
        previous = (
            (words.with_year(words.grade, self.previous_year),)
            if self.previous_year is not None
            else ()
        )
        evaluation = (words.evaluation,) if self.with_evaluation else ()
        return (
            *self.level_labels,
            self.item_label,
            words.with_year(words.department, year),
            *previous,
            words.with_year(words.grade, year),
            *evaluation,
            words.with_year(words.comment, year),
        )

    @property
    def item_column(self) -> int:
        """0-based index of the item column (the hierarchy columns come first)."""
        return len(self.level_labels)

    @property
    def department_column(self) -> int:
        return self.item_column + 1

    @property
    def grade_columns(self) -> tuple[int, ...]:
        """The previous grade column (if any), the grade column and the committee's (if any):
        short, centred letters."""
        first = self.department_column + 1
        return tuple(range(first, self.comment_column))

    @property
    def grade_column(self) -> int:
        """This year's 達成度."""
        return self.department_column + 1 + int(self.with_previous)

    @property
    def evaluation_column(self) -> int | None:
        return self.grade_column + 1 if self.with_evaluation else None

    @property
    def item_columns(self) -> tuple[int, ...]:
        """Columns holding one value per item, merged over the item's department rows."""
        evaluation = (self.evaluation_column,) if self.evaluation_column is not None else ()
        return (self.item_column, *evaluation, self.comment_column)

    @property
    def comment_column(self) -> int:
        return len(self.headers) - 1

    def cells(self, row: ExportRow) -> list[str]:
        """The row's cell texts in column order (not yet neutralized)."""
        previous = [row.previous_grade or ""] if self.with_previous else []
        evaluation = [row.evaluation or ""] if self.with_evaluation else []
        return [
            *row.path,
            row.item,
            row.department,
            *previous,
            row.grade or "",
            *evaluation,
            row.comment,
        ]

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


def _paths(session: Session, *, plan_id: int, levels: int) -> dict[int, tuple[PlanNode, ...]]:
    """Node chain (top first, at most `levels` + 1 deep) of every node of the plan."""
    chains = node_chains(session, plan_id=plan_id)
    return {node_id: chain[-(levels + 1) :] for node_id, chain in chains.items()}


def build_table(
    session: Session,
    *,
    round_id: int,
    previous: bool = False,
    evaluations: EvaluationSheet | None = None,
    language: str = "ja",
) -> ExportTable:
    """Every item × department of the round's plan with its current answer, in plan order.

    A few queries whatever the plan's size: the round, the plan's nodes, and the rows (items
    outer-joined to their assignments and this round's reports, so an item or department
    added to the plan after the round was opened still shows, as unanswered). With
    `previous`, last year's round (`handlers.reporting.rounds.previous_round`: of the plan or of the
    plan it continues) is joined too and each row carries that slot's grade then, found like
    `department_slots` finds it (`previous_join`: the same item, or the item it continues;
    None: no such round, slot or answer).
    The report of a row is the one of the same department on the item itself, or on its
    original for a (再掲) item. With `evaluations` (`handlers.export.document
    .export_evaluations`), each row carries the committee's grade of the node its item sits
    under. `language` is the one of the title and the headers (`handout_words`).
    """
    words = handout_words(language)
    rnd = get_round(session, round_id=round_id)
    plan = rnd.plan
    max_depth = session.scalar(
        select(PlanNode.depth).where(PlanNode.plan_id == plan.id).order_by(PlanNode.depth.desc())
    )
    labels = [str(label) for label in plan.level_labels]
    levels = max(len(labels), (max_depth + 1) if max_depth is not None else 0)
    labels += [words.level(n + 1) for n in range(len(labels), levels)]
    chains = _paths(session, plan_id=plan.id, levels=levels)
    last_year = previous_round(session, rnd=rnd) if previous else None
    answered = aliased(Assignment)  # the assignment whose slot answers this row
    query: Select[*tuple[Any, ...]] = (
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
    )
    if last_year is not None:  # joined only when there is one (see `previous_join`)
        source = aliased(Item)  # the answering item: the (再掲) item's original
        before = previous_join(rnd, last_year, item=source, assignment=answered)
        query = before.apply(
            query.add_columns(before.report.grade).outerjoin(source, source.id == answered.item_id)
        )
    else:
        query = query.add_columns(null())
    result = session.execute(query).all()

    comments: dict[int, list[tuple[str, str]]] = {}
    numbers: dict[int, int] = {}
    for item, dept, _grade, comment, _before in result:
        numbers[item.id] = item.number
        comments.setdefault(item.id, []).append((dept or "", comment or ""))
    merged = {item_id: merge_comments(given) for item_id, given in comments.items()}
    for item, *_ in result:
        if item.repost_of_id in merged:
            merged[item.id] = merged[item.repost_of_id]

    evaluated = {row.node_key: row.grade for row in evaluations.rows} if evaluations else {}
    item_nodes = evaluations.item_nodes if evaluations else {}
    rows: list[ExportRow] = []
    for item, dept, grade, _comment, grade_before in result:
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
                previous_grade=grade_before,
                repost_of=numbers.get(item.repost_of_id) if item.repost_of_id else None,
                evaluation=evaluated.get(item_nodes.get(item.id, "")),
            )
        )
    return ExportTable(
        round_id=rnd.id,
        fiscal_year=rnd.fiscal_year,
        words=words,
        plan_name=plan.name,
        plan_title=plan.display_title,
        level_labels=tuple(labels),
        item_label=plan.item_label,
        scale=GradeScale.from_json(rnd.scale),
        rows=tuple(rows),
        previous_year=(
            None
            if not previous
            else last_year.fiscal_year
            if last_year is not None
            else rnd.fiscal_year - 1
        ),
        evaluation_level=(evaluations.level_label or "") if evaluations else None,
        evaluation_scale=evaluations.scale if evaluations else None,
    )


LABEL_MAX = 20


def check_label(label: str | None) -> str | None:
    """The 資料 label printed top right (`資料3`), stripped; None when empty."""
    text = (label or "").strip()
    if len(text) > LABEL_MAX:
        raise InvalidInput(msg("export.label_too_long", limit=LABEL_MAX))
    return text or None
