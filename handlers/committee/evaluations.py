"""The committee's evaluation (二次評価) per 施策 or 課題: grade on its own scale, comment, 提言.

The office records what the committee (推進委員会・審議会) decided, per node of the plan's
evaluation level (`hokoku plan edit P --evaluation-level 施策`). `evaluation_sheet` is the
data the export adds as a sheet and as a column beside the items.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound, import_refused, line_problem
from handlers.fiscal import reiwa_label
from handlers.i18n import Message, msg
from handlers.normalize import fold_key
from handlers.plan.nodes import NodeRef, PlanTree, hierarchy_path
from handlers.plan.settings import PlanSettings, plan_settings
from handlers.plan.table_import.reader import read_grid
from handlers.reporting.reports import MAX_COMMENT
from handlers.reporting.rounds import get_round
from handlers.scale import GradeScale
from models import Assignment, Evaluation, Item, Plan, Report, Round, utcnow

STORED = "stored"
UPDATED = "updated"
UNCHANGED = "unchanged"

GRADE_HEADERS = ("二次評価", "委員会評価", "評価結果", "評価", "GRADE")
COMMENT_HEADERS = ("評価コメント", "評価理由", "意見", "コメント", "COMMENT")
PROPOSAL_HEADERS = ("提言", "提案", "PROPOSAL")
HEADER_SEARCH_ROWS = 20
MAX_LISTED = 20


@dataclass(frozen=True)
class EvaluationOutcome:
    status: str  # stored / updated / unchanged
    node_key: str
    node_label: str
    grade: str
    comment: str
    proposal: str


@dataclass(frozen=True)
class EvaluationRow:
    """One node of the evaluation level with the committee's evaluation (if any yet)."""

    node_key: str
    path: tuple[str, ...]  # displays top first, ending with the node
    display: str
    grade: str | None
    comment: str
    proposal: str
    evaluator: str
    updated_at: datetime | None
    items: int  # items under the node
    slots: int  # item × department slots under the node in this round
    answered: int
    grades: dict[str, int]  # the departments' grades (達成度) under the node


@dataclass(frozen=True)
class EvaluationSheet:
    round_id: int
    round_label: str
    fiscal_year: int
    plan_name: str
    level: int | None  # None: the plan has no evaluation level yet
    level_label: str | None
    scale: GradeScale  # the committee's scale
    rows: tuple[EvaluationRow, ...]
    # Evaluations whose node no longer exists in the plan (kept, shown by their label).
    orphans: tuple[EvaluationRow, ...] = ()
    item_nodes: dict[int, str] = field(default_factory=dict)  # item id → node key

    def for_item(self, item_id: int) -> EvaluationRow | None:
        """The evaluation row of the node an item sits under (for a column beside items)."""
        key = self.item_nodes.get(item_id)
        return next((row for row in self.rows if row.node_key == key), None)


def missing_level(plan_name: str) -> InvalidInput:
    """The refusal for a plan whose evaluation level is not chosen, saying how to choose it."""
    return InvalidInput(msg("evaluation.level_missing", plan=plan_name))


def _settings(plan: Plan) -> tuple[PlanSettings, int]:
    settings = plan_settings(plan)
    if settings.evaluation_level is None:
        raise missing_level(plan.name)
    return settings, settings.evaluation_level - 1


def _check_text(text: str, what: str) -> str:
    """`what`: `evaluation.comment` or `evaluation.proposal` (the field's name)."""
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput(
            msg("evaluation.too_long", what=msg(what), limit=MAX_COMMENT, length=len(text))
        )
    return text


def _store(
    session: Session,
    *,
    rnd: Round,
    node: NodeRef,
    grade: str,
    comment: str | None,
    proposal: str | None,
    evaluator: str,
    now: datetime | None,
) -> EvaluationOutcome:
    label = hierarchy_path(node.path)
    current = session.scalar(
        select(Evaluation).where(Evaluation.round_id == rnd.id, Evaluation.node_key == node.key)
    )
    status = UPDATED
    if current is None:
        current = Evaluation(round_id=rnd.id, node_key=node.key, grade=grade)
        session.add(current)
        status = STORED
    new_comment = (current.comment or "") if comment is None else comment
    new_proposal = (current.proposal or "") if proposal is None else proposal
    if status == UPDATED and (current.grade, current.comment, current.proposal) == (
        grade,
        new_comment,
        new_proposal,
    ):
        status = UNCHANGED
    else:
        current.grade = grade
        current.comment = new_comment
        current.proposal = new_proposal
        current.node_label = label
        current.evaluator = evaluator
        current.updated_at = now or utcnow()
        session.flush()
    return EvaluationOutcome(status, node.key, label, grade, new_comment, new_proposal)


def set_evaluation(
    session: Session,
    *,
    round_id: int,
    node: str,
    grade: str,
    comment: str | None = None,
    proposal: str | None = None,
    evaluator: str,
    now: datetime | None = None,
) -> EvaluationOutcome:
    """Record the committee's grade (its own scale), comment and 提言 for one node.

    `comment=None` / `proposal=None` keep what was stored. Closed rounds take evaluations:
    the committee meets after the departments have answered.
    """
    rnd = get_round(session, round_id=round_id)
    settings, depth = _settings(rnd.plan)
    letter = settings.evaluation_scale.match(grade)
    if letter is None:
        raise InvalidInput(
            msg("evaluation.grade_invalid", grade=grade, grades=settings.evaluation_scale.hint())
        )
    tree = PlanTree(session, plan_id=rnd.plan_id)
    target = tree.find(node, depth=depth)
    return _store(
        session,
        rnd=rnd,
        node=target,
        grade=letter,
        comment=_check_text(comment, "evaluation.comment") if comment is not None else None,
        proposal=_check_text(proposal, "evaluation.proposal") if proposal is not None else None,
        evaluator=evaluator,
        now=now,
    )


@dataclass(frozen=True)
class EvaluationImport:
    stored: int
    updated: int
    unchanged: int


def _find_column(keys: list[str], names: tuple[str, ...], taken: set[int]) -> int | None:
    for name in names:
        for index, key in enumerate(keys):
            if key == name and index not in taken:
                return index
    return None


def import_evaluations(
    session: Session,
    *,
    round_id: int,
    path: Path,
    evaluator: str,
    sheet: str | None = None,
    now: datetime | None = None,
) -> EvaluationImport:
    """Read the committee's table: hierarchy columns named like the plan's levels (blank =
    same as above), 評価, and optionally 評価コメント/意見 and 提言. All rows or none."""
    rnd = get_round(session, round_id=round_id)
    settings, depth = _settings(rnd.plan)
    tree = PlanTree(session, plan_id=rnd.plan_id)
    grid = read_grid(path, sheet=sheet)
    labels = [fold_key(label) for label in settings.level_labels[: depth + 1]]
    header = -1
    for row in range(min(HEADER_SEARCH_ROWS, len(grid.rows))):
        keys = [fold_key(cell) for cell in grid.rows[row]]
        if labels and labels[-1] in keys and _find_column(keys, GRADE_HEADERS, set()) is not None:
            header = row
            break
    level_name = settings.evaluation_label or ""
    if header < 0:
        raise InvalidInput(msg("evaluation.no_header", file=path.name, level=level_name))
    keys = [fold_key(cell) for cell in grid.rows[header]]
    level_columns = {d: keys.index(label) for d, label in enumerate(labels) if label in keys}
    taken = set(level_columns.values())
    grade_col = _find_column(keys, GRADE_HEADERS, taken)
    assert grade_col is not None
    taken.add(grade_col)
    comment_col = _find_column(keys, COMMENT_HEADERS, taken)
    proposal_col = _find_column(keys, PROPOSAL_HEADERS, taken)

    problems: list[Message] = []
    wanted: list[tuple[NodeRef, str, str | None, str | None]] = []
    seen: dict[str, int] = {}
    above: dict[int, str] = {}
    for index in range(header + 1, len(grid.rows)):
        line = index + 1
        if not any(grid.rows[index]):
            continue
        changed = False
        for d, col in sorted(level_columns.items()):
            text = grid.cell(index, col).strip()
            if text and (changed or text != above.get(d)):
                above[d] = text
                changed = True
            elif changed:
                above.pop(d, None)
        grade_text = grid.cell(index, grade_col).strip()
        if not grade_text:
            continue  # a heading row, or a node the committee did not grade
        if depth not in above:
            problems.append(line_problem(line, "evaluation.level_empty", level=level_name))
            continue
        candidates = tree.at_depth(depth)
        for d, text in sorted(above.items()):
            if d < depth:
                candidates = [
                    c
                    for c in candidates
                    if (a := tree.ancestor_at(c.id, d)) and tree.matches(a, text)
                ]
        try:
            node = tree.find(above[depth], depth=depth, within=candidates)
        except NotFound as exc:
            problems.append(msg("problem.line", line=line, text=exc.msg))
            continue
        if node.key in seen:
            problems.append(
                line_problem(line, "evaluation.node_twice", node=above[depth], first=seen[node.key])
            )
            continue
        seen[node.key] = line
        letter = settings.evaluation_scale.match(grade_text)
        if letter is None:
            problems.append(
                line_problem(
                    line,
                    "evaluation.grade_not_in_scale",
                    grade=grade_text,
                    grades=settings.evaluation_scale.hint(),
                )
            )
            continue
        texts: list[str | None] = []
        for column, what in (
            (comment_col, "evaluation.comment"),
            (proposal_col, "evaluation.proposal"),
        ):
            given = grid.cell(index, column).strip() if column is not None else None
            if given is not None and len(given) > MAX_COMMENT:
                problems.append(
                    line_problem(
                        line, "evaluation.cell_too_long", what=msg(what), limit=MAX_COMMENT
                    )
                )
            texts.append(given)
        wanted.append((node, letter, texts[0], texts[1]))
    if not wanted and not problems:
        problems.append(msg("evaluation.no_rows"))
    if problems:
        raise import_refused(path.name, problems, limit=MAX_LISTED)
    counts: Counter[str] = Counter()
    for node, letter, comment, proposal in wanted:
        outcome = _store(
            session,
            rnd=rnd,
            node=node,
            grade=letter,
            comment=comment,
            proposal=proposal,
            evaluator=evaluator,
            now=now,
        )
        counts[outcome.status] += 1
    return EvaluationImport(counts[STORED], counts[UPDATED], counts[UNCHANGED])


def evaluation_sheet(session: Session, *, round_id: int) -> EvaluationSheet:
    """Every node of the evaluation level in plan order, with the committee's evaluation and
    the departments' grades under it; `for_item` gives an item's node row."""
    rnd = get_round(session, round_id=round_id)
    settings = plan_settings(rnd.plan)
    stored = {
        e.node_key: e
        for e in session.scalars(select(Evaluation).where(Evaluation.round_id == rnd.id))
    }

    def sheet(
        rows: tuple[EvaluationRow, ...],
        orphans: tuple[EvaluationRow, ...] = (),
        item_nodes: dict[int, str] | None = None,
    ) -> EvaluationSheet:
        return EvaluationSheet(
            round_id=rnd.id,
            round_label=reiwa_label(rnd.fiscal_year),
            fiscal_year=rnd.fiscal_year,
            plan_name=rnd.plan.name,
            level=settings.evaluation_level,
            level_label=settings.evaluation_label,
            scale=settings.evaluation_scale,
            rows=rows,
            orphans=orphans,
            item_nodes=item_nodes or {},
        )

    if settings.evaluation_level is None:
        return sheet(())
    depth = settings.evaluation_level - 1
    tree = PlanTree(session, plan_id=rnd.plan_id)
    item_nodes: dict[int, str] = {}
    for item_id in tree.item_nodes:
        ref = tree.item_node_at(item_id, depth)
        if ref is not None:
            item_nodes[item_id] = ref.key
    slots = session.execute(
        select(Item.id, Report.grade)
        .select_from(Report)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Report.round_id == rnd.id)
    ).all()
    per_node: dict[str, list[str | None]] = {}
    for item_id, grade in slots:
        if item_id in item_nodes:
            per_node.setdefault(item_nodes[item_id], []).append(grade)
    item_counts = Counter(item_nodes.values())
    round_scale = GradeScale.from_json(rnd.scale)
    rows: list[EvaluationRow] = []
    for ref in sorted(tree.at_depth(depth), key=lambda r: r.position):
        grades = per_node.get(ref.key, [])
        counted = Counter(g for g in grades if g is not None)
        distribution = {letter: counted.pop(letter, 0) for letter in round_scale.letters}
        distribution.update(counted)
        rows.append(
            _row(
                ref.key,
                ref.path,
                ref.display,
                stored.get(ref.key),
                item_counts[ref.key],
                grades,
                distribution,
            )
        )
    known = {row.node_key for row in rows}
    orphans = tuple(
        _row(key, (e.node_label,), e.node_label, e, 0, [], {})
        for key, e in stored.items()
        if key not in known
    )
    return sheet(tuple(rows), orphans, item_nodes)


def _row(
    key: str,
    path: tuple[str, ...],
    display: str,
    evaluation: Evaluation | None,
    items: int,
    grades: list[str | None],
    distribution: dict[str, int],
) -> EvaluationRow:
    return EvaluationRow(
        node_key=key,
        path=path,
        display=display,
        grade=evaluation.grade if evaluation else None,
        comment=evaluation.comment if evaluation else "",
        proposal=evaluation.proposal if evaluation else "",
        evaluator=evaluation.evaluator if evaluation else "",
        updated_at=evaluation.updated_at if evaluation else None,
        items=items,
        slots=len(grades),
        answered=sum(1 for g in grades if g is not None),
        grades=distribution,
    )
