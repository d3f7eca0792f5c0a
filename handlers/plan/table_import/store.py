"""Writing a parsed plan into the database: create, replace, or update in place.

Re-import policy (for the same plan name, from the same file or with `--replace`):
- no rounds yet: the tree is replaced wholesale;
- rounds exist: items are matched (same number and title, else same place and title, else
  same number) and updated in place, so every stored answer stays on its item; new items and
  departments are added, with open slots in every open round; an item or department that
  disappears is removed only if none of its slots was ever answered, otherwise the whole
  import is refused with the list of answered slots.
Department names go through the organization's former names (`dept rename`/`dept merge`,
`--rename-dept`), so a table that still says 旧課名 assigns the department it became.
A (再掲) item has no slots: open rounds get slots for every other assignment only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from handlers.i18n import FiscalYear, literal, msg
from handlers.normalize import fold_key
from handlers.organization.directory import department_names
from handlers.plan.table_import.build import ParsedItem, ParsedNode, ParsedPlan
from handlers.plan.table_import.errors import PlanImportError
from models import Assignment, Department, Item, Plan, PlanNode, Report, Round

MAX_LISTED = 10
MODE_CREATED = "created"
MODE_REPLACED = "replaced"
MODE_UPDATED = "updated"


@dataclass(frozen=True)
class StoreOutcome:
    plan: Plan
    mode: str
    added_items: int = 0
    removed_items: int = 0
    added_assignments: int = 0
    removed_assignments: int = 0
    added_slots: int = 0


def _departments(
    session: Session, *, organization_id: int, names: Iterable[str]
) -> dict[str, Department]:
    """Every named department (current or former name), creating the missing ones."""
    known = department_names(session, organization_id=organization_id)
    found: dict[str, Department] = {}
    for name in dict.fromkeys(names):
        dept = known.get(fold_key(name))
        if dept is None:
            dept = Department(organization_id=organization_id, name=name)
            session.add(dept)
            known[fold_key(name)] = dept
        found[name] = dept
    session.flush()
    return found


def _item_departments(item: ParsedItem, departments: dict[str, Department]) -> list[Department]:
    """The item's departments in order, once each (a former and a current name may meet)."""
    unique: dict[int, Department] = {}
    for name in item.departments:
        dept = departments[name]
        unique.setdefault(dept.id, dept)
    return list(unique.values())


def _new_nodes(session: Session, plan: Plan, parsed: ParsedPlan) -> dict[int, PlanNode]:
    """PlanNode objects for the parsed tree, keyed by id() of the parsed node.

    Added to the session explicitly: a node no item sits under (a heading whose items are
    all under its children) is reached by no cascade from an item."""
    made: dict[int, PlanNode] = {}
    for node in parsed.nodes:
        made[id(node)] = PlanNode(
            plan=plan,
            parent=made[id(node.parent)] if node.parent else None,
            depth=node.depth,
            code=node.code,
            title=node.title,
            is_priority=node.is_priority,
            position=node.position,
            code_spaced=node.spaced if node.code and node.title else None,
        )
    session.add_all(made.values())
    return made


def find_plan_by_name(session: Session, *, organization_id: int, name: str) -> Plan | None:
    """The plan whose name folds like `name` (`西東京市第５次` is `西東京市第5次`)."""
    key = fold_key(name)
    return next(
        (
            plan
            for plan in session.scalars(
                select(Plan).where(Plan.organization_id == organization_id).order_by(Plan.id)
            )
            if fold_key(plan.name) == key
        ),
        None,
    )


def store_plan(
    session: Session,
    *,
    organization_id: int,
    name: str,
    source_name: str,
    parsed: ParsedPlan,
    title: str | None = None,
    replace: bool = False,
) -> StoreOutcome:
    plan = find_plan_by_name(session, organization_id=organization_id, name=name)
    if plan is not None and not replace and plan.source_name != source_name:
        raise PlanImportError(
            msg(
                "plan_import.store.other_file" if plan.source_name else "plan_import.store.exists",
                name=plan.name,
                id=plan.id,
                origin=plan.source_name,
                file=source_name,
            ),
            file=source_name,
        )
    departments = _departments(session, organization_id=organization_id, names=parsed.departments)
    mode = MODE_CREATED
    if plan is None:
        plan = Plan(organization_id=organization_id, name=name)
        session.add(plan)
    else:
        has_rounds = session.scalar(select(Round.id).where(Round.plan_id == plan.id).limit(1))
        if has_rounds is not None:
            if title is not None:
                plan.title = title
            return _update_in_place(session, plan, parsed, departments, source_name)
        mode = MODE_REPLACED
        _clear_reposts(session, plan)
        item_ids = select(Item.id).where(Item.plan_id == plan.id).scalar_subquery()
        session.execute(delete(Assignment).where(Assignment.item_id.in_(item_ids)))
        session.execute(delete(Item).where(Item.plan_id == plan.id))
        session.execute(delete(PlanNode).where(PlanNode.plan_id == plan.id))
        session.expire(plan, ["items", "nodes"])
    if title is not None:
        plan.title = title
    plan.source_name = source_name
    plan.level_labels = parsed.level_labels
    plan.item_label = parsed.item_label
    nodes = _new_nodes(session, plan, parsed)
    made: dict[int, Item] = {}
    for item in parsed.items:
        made[id(item)] = _new_item(plan, item, nodes, departments)
        session.add(made[id(item)])
    session.flush()
    _link_reposts(parsed, made)
    session.flush()
    return StoreOutcome(plan=plan, mode=mode, added_items=len(parsed.items))


def _spaced(item: ParsedItem) -> bool | None:
    return item.spaced if item.code and item.title else None


def _clear_reposts(session: Session, plan: Plan) -> None:
    """Unlink every (再掲) item of the plan, so that any item may be deleted."""
    session.execute(
        update(Item)
        .where(Item.plan_id == plan.id, Item.repost_of_id.is_not(None))
        .values(repost_of_id=None)
        .execution_options(synchronize_session=False)
    )


def _link_reposts(parsed: ParsedPlan, made: dict[int, Item]) -> None:
    for item in parsed.items:
        original = made[id(item.repost_of)] if item.repost_of is not None else None
        made[id(item)].repost_of_id = original.id if original is not None else None


def _new_item(
    plan: Plan, item: ParsedItem, nodes: dict[int, PlanNode], departments: dict[str, Department]
) -> Item:
    return Item(
        plan=plan,
        node=nodes[id(item.node)] if item.node else None,
        number=item.number,
        code=item.code,
        title=item.title,
        description=item.description,
        is_priority=item.is_priority,
        position=item.position,
        code_spaced=_spaced(item),
        assignments=[
            Assignment(department=dept, position=pos)
            for pos, dept in enumerate(_item_departments(item, departments))
        ],
    )


def _old_path(node: PlanNode | None, by_id: dict[int, PlanNode]) -> tuple[str, ...]:
    keys: list[str] = []
    while node is not None:
        keys.append(fold_key(node.code) if node.code else fold_key(node.title))
        node = by_id.get(node.parent_id) if node.parent_id is not None else None
    return tuple(reversed(keys))


def _node_of(item: Item, nodes: dict[int, PlanNode]) -> PlanNode | None:
    return nodes.get(item.node_id) if item.node_id is not None else None


def _match_items(
    old_items: list[Item], parsed: ParsedPlan, old_nodes: dict[int, PlanNode]
) -> dict[int, Item]:
    """id(parsed item) → old Item: same number+title, else same place+title, else same number."""
    matched: dict[int, Item] = {}
    free = {item.id: item for item in old_items}

    def new_path(item: ParsedItem) -> tuple[str, ...]:
        node: ParsedNode | None = item.node
        return node.path_key() if node else ()

    passes = [
        (lambda o: (o.number, fold_key(o.title)), lambda n: (n.number, fold_key(n.title))),
        (
            lambda o: (_old_path(_node_of(o, old_nodes), old_nodes), fold_key(o.title)),
            lambda n: (new_path(n), fold_key(n.title)),
        ),
        (lambda o: o.number, lambda n: n.number),
    ]
    for old_key, new_key in passes:
        index: dict[object, list[Item]] = defaultdict(list)
        for old in free.values():
            index[old_key(old)].append(old)
        for item in parsed.items:
            if id(item) in matched:
                continue
            candidates = [o for o in index.get(new_key(item), []) if o.id in free]
            if len(candidates) == 1:
                matched[id(item)] = candidates[0]
                del free[candidates[0].id]
    return matched


def _update_in_place(
    session: Session,
    plan: Plan,
    parsed: ParsedPlan,
    departments: dict[str, Department],
    source_name: str,
) -> StoreOutcome:
    old_items = list(
        session.scalars(
            select(Item)
            .where(Item.plan_id == plan.id)
            .options(selectinload(Item.assignments).selectinload(Assignment.department))
        )
    )
    old_nodes = {
        n.id: n for n in session.scalars(select(PlanNode).where(PlanNode.plan_id == plan.id))
    }
    matched = _match_items(old_items, parsed, old_nodes)
    kept_ids = {old.id for old in matched.values()}
    removed_items = [old for old in old_items if old.id not in kept_ids]

    removed_assignments: list[Assignment] = [a for old in removed_items for a in old.assignments]
    for item in parsed.items:
        old = matched.get(id(item))
        if old is not None:
            wanted = {d.id for d in _item_departments(item, departments)}
            removed_assignments.extend(a for a in old.assignments if a.department_id not in wanted)
    _refuse_if_answered(session, removed_assignments, file=source_name)
    for old in old_items:  # relinked below; unlinked first so that any item may go
        old.repost_of_id = None
    session.flush()

    # Removing: slots of removed assignments are all unanswered (checked above).
    gone = [a.id for a in removed_assignments]
    if gone:
        session.execute(delete(Report).where(Report.assignment_id.in_(gone)))
    for old in removed_items:
        session.delete(old)
    for item in parsed.items:
        old = matched.get(id(item))
        if old is not None:
            for a in list(old.assignments):
                if a.id in gone:
                    old.assignments.remove(a)
    # Numbers are unique per plan: park the kept ones out of the way before renumbering.
    for old in matched.values():
        old.number = -old.id
    session.flush()

    plan.source_name = source_name
    plan.level_labels = parsed.level_labels
    plan.item_label = parsed.item_label
    nodes = _new_nodes(session, plan, parsed)
    new_assignments: list[Assignment] = []
    added_items = 0
    made: dict[int, Item] = {}
    for item in parsed.items:
        old = matched.get(id(item))
        if old is None:
            new_item = _new_item(plan, item, nodes, departments)
            session.add(new_item)
            new_assignments.extend(new_item.assignments)
            made[id(item)] = new_item
            added_items += 1
            continue
        made[id(item)] = old
        old.node = nodes[id(item.node)] if item.node else None
        old.number = item.number
        old.code = item.code
        old.title = item.title
        old.description = item.description
        old.is_priority = item.is_priority
        old.position = item.position
        old.code_spaced = _spaced(item)
        by_department = {a.department_id: a for a in old.assignments}
        for pos, dept in enumerate(_item_departments(item, departments)):
            assignment = by_department.get(dept.id)
            if assignment is None:
                assignment = Assignment(department=dept, position=pos)
                old.assignments.append(assignment)
                new_assignments.append(assignment)
            assignment.position = pos
    session.flush()
    _link_reposts(parsed, made)
    session.flush()
    # The old tree goes last, once no item points at it any more.
    if old_nodes:
        session.execute(delete(PlanNode).where(PlanNode.id.in_(list(old_nodes))))
    session.expire(plan, ["nodes"])

    added_slots = _sync_open_slots(session, plan)
    return StoreOutcome(
        plan=plan,
        mode=MODE_UPDATED,
        added_items=added_items,
        removed_items=len(removed_items),
        added_assignments=len(new_assignments),
        removed_assignments=len(gone),
        added_slots=added_slots,
    )


def _sync_open_slots(session: Session, plan: Plan) -> int:
    """Open rounds: a slot for every assignment of a non-(再掲) item; a (再掲) item's unanswered
    slots go (its answered ones stay: answers are never lost). Returns the slots added."""
    open_rounds = list(
        session.scalars(select(Round.id).where(Round.plan_id == plan.id, Round.closed_at.is_(None)))
    )
    if not open_rounds:
        return 0
    answerable: set[int] = set()
    reposted: set[int] = set()
    for assignment_id, repost_of in session.execute(
        select(Assignment.id, Item.repost_of_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Item.plan_id == plan.id)
    ):
        (answerable if repost_of is None else reposted).add(assignment_id)
    existing = {
        (round_id, assignment_id)
        for round_id, assignment_id in session.execute(
            select(Report.round_id, Report.assignment_id).where(Report.round_id.in_(open_rounds))
        )
    }
    missing = [
        Report(round_id=round_id, assignment_id=assignment_id)
        for round_id in open_rounds
        for assignment_id in sorted(answerable)
        if (round_id, assignment_id) not in existing
    ]
    session.add_all(missing)
    if reposted:
        session.execute(
            delete(Report).where(
                Report.round_id.in_(open_rounds),
                Report.assignment_id.in_(sorted(reposted)),
                Report.grade.is_(None),
            )
        )
    session.flush()
    return len(missing)


def _refuse_if_answered(session: Session, assignments: list[Assignment], *, file: str) -> None:
    if not assignments:
        return
    by_id = {a.id: a for a in assignments}
    answered = session.execute(
        select(Report.assignment_id, Report.grade, Round.fiscal_year)
        .join(Round, Round.id == Report.round_id)
        .where(Report.assignment_id.in_(list(by_id)), Report.grade.is_not(None))
        .order_by(Round.fiscal_year, Report.assignment_id)
    ).all()
    if not answered:
        return
    lines = tuple(
        msg(
            "plan_import.store.answered_slot",
            year=FiscalYear(year),
            number=by_id[aid].item.number,
            title=by_id[aid].item.title,
            department=by_id[aid].department.name,
            grade=grade,
        )
        for aid, grade, year in answered[:MAX_LISTED]
    )
    more = len(answered) - MAX_LISTED
    raise PlanImportError(
        msg(
            "plan_import.store.answered",
            slots=lines,
            more=msg("list.more", count=more) if more > 0 else literal(""),
        ),
        file=file,
    )
