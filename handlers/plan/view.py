"""Plans as the office looks at them: the list with counts, and one plan's tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Assignment, Item, Plan, PlanNode, Round


@dataclass(frozen=True)
class PlanSummary:
    id: int
    name: str
    title: str  # "" = none
    source_name: str
    items: int
    departments: int
    assignments: int
    rounds: int


def list_plans(session: Session, *, organization_id: int) -> list[PlanSummary]:
    """Every plan of the organization with its counts, by SQL aggregates."""
    per_plan = (
        select(
            Item.plan_id.label("plan_id"),
            func.count(func.distinct(Item.id)).label("item_count"),
            func.count(Assignment.id).label("assignments"),
            func.count(func.distinct(Assignment.department_id)).label("departments"),
        )
        .outerjoin(Assignment, Assignment.item_id == Item.id)
        .group_by(Item.plan_id)
        .subquery()
    )
    rounds = (
        select(Round.plan_id.label("plan_id"), func.count(Round.id).label("rounds"))
        .group_by(Round.plan_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Plan.id,
            Plan.name,
            Plan.title,
            Plan.source_name,
            func.coalesce(per_plan.c.item_count, 0),
            func.coalesce(per_plan.c.departments, 0),
            func.coalesce(per_plan.c.assignments, 0),
            func.coalesce(rounds.c.rounds, 0),
        )
        .outerjoin(per_plan, per_plan.c.plan_id == Plan.id)
        .outerjoin(rounds, rounds.c.plan_id == Plan.id)
        .where(Plan.organization_id == organization_id)
        .order_by(Plan.id)
    ).all()
    return [PlanSummary(*row) for row in rows]


@dataclass
class TreeItem:
    number: int
    display: str
    is_priority: bool
    departments: list[str]
    repost_of: int | None = None  # (再掲): the number of the original, answered there


@dataclass
class TreeNode:
    label: str  # the level label (基本目標, 施策 …)
    display: str  # code★ title
    is_priority: bool
    children: list[TreeNode] = field(default_factory=list)
    items: list[TreeItem] = field(default_factory=list)


@dataclass
class PlanTree:
    id: int
    name: str
    title: str  # the title, else the name
    level_labels: list[str]
    item_label: str
    roots: list[TreeNode]
    loose_items: list[TreeItem]  # items outside any hierarchy node


def plan_tree(session: Session, *, plan: Plan) -> PlanTree:
    """The plan's hierarchy with items and their departments, in plan order (three queries)."""
    nodes = session.scalars(
        select(PlanNode).where(PlanNode.plan_id == plan.id).order_by(PlanNode.position)
    ).all()
    items = session.scalars(
        select(Item)
        .where(Item.plan_id == plan.id)
        .order_by(Item.position)
        .options(selectinload(Item.assignments).selectinload(Assignment.department))
    ).all()
    labels = list(plan.level_labels)
    made: dict[int, TreeNode] = {}
    roots: list[TreeNode] = []
    for node in nodes:
        label = labels[node.depth] if node.depth < len(labels) else ""
        tree_node = TreeNode(label=label, display=node.display, is_priority=node.is_priority)
        made[node.id] = tree_node
        parent = made.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent else roots).append(tree_node)
    numbers = {item.id: item.number for item in items}
    loose: list[TreeItem] = []
    for item in items:
        entry = TreeItem(
            number=item.number,
            display=item.display,
            is_priority=item.is_priority,
            departments=[a.department.name for a in item.assignments],
            repost_of=numbers.get(item.repost_of_id) if item.repost_of_id else None,
        )
        owner = made.get(item.node_id) if item.node_id is not None else None
        (owner.items if owner else loose).append(entry)
    return PlanTree(
        id=plan.id,
        name=plan.name,
        title=plan.display_title,
        level_labels=labels,
        item_label=plan.item_label,
        roots=roots,
        loose_items=loose,
    )
