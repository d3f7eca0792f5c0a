"""The plan's hierarchy nodes as people name them: path keys, paths, and lookup by what was typed.

A node is named by its path key (codes, else titles, top first, folded), which survives a
plan re-import that rebuilds the node rows; people name it by code (`I-1`), title, the
code path (`4-1-2`, `I/1`) or the display text (`1 男女共同参画に関する理解の促進`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import NotFound
from handlers.i18n import msg
from handlers.normalize import fold_key
from handlers.plan.table_import.codes import split_code
from models import Item, PlanNode

PATH_SEPARATORS = ("-", "/", "›", ">", " ")
PATH_JOIN = " › "
MAX_LISTED = 10


def hierarchy_path(path: Sequence[str]) -> str:
    """`I 人権の尊重 › I-1 …`: where a node or an item sits in the plan, as people read it."""
    return PATH_JOIN.join(path)


@dataclass(frozen=True)
class NodeRef:
    id: int
    key: str  # path key: `I/1`, `4/1/2`
    depth: int
    code: str
    title: str
    display: str
    path: tuple[str, ...]  # displays top first, ending with this node
    codes: tuple[str, ...]  # codes top first ("" where a node has none)
    position: int

    @property
    def hint(self) -> str:
        """How to name it unambiguously: `I-1（title）`, or the display path."""
        if all(self.codes):
            return f"{'-'.join(self.codes)}（{self.title}）" if self.title else "-".join(self.codes)
        return hierarchy_path(self.path)


def node_chains(session: Session, *, plan_id: int) -> dict[int, tuple[PlanNode, ...]]:
    """Every node of the plan with its ancestors, top first, from one query: the one place
    the hierarchy path of a node is computed (forms, the export, the committee's tables)."""
    nodes = {n.id: n for n in session.scalars(select(PlanNode).where(PlanNode.plan_id == plan_id))}
    chains: dict[int, tuple[PlanNode, ...]] = {}

    def chain_of(node_id: int) -> tuple[PlanNode, ...]:
        if node_id not in chains:
            node = nodes[node_id]
            parent = chain_of(node.parent_id) if node.parent_id in nodes else ()
            chains[node_id] = (*parent, node)
        return chains[node_id]

    for node_id in nodes:
        chain_of(node_id)
    return chains


class PlanTree:
    """All nodes of one plan, loaded once, with their paths."""

    def __init__(self, session: Session, *, plan_id: int) -> None:
        self.chains = node_chains(session, plan_id=plan_id)
        self.nodes = {node_id: chain[-1] for node_id, chain in self.chains.items()}
        self.refs: dict[int, NodeRef] = {}
        for node in sorted(self.nodes.values(), key=lambda n: n.position):
            chain = self.chain(node.id)
            self.refs[node.id] = NodeRef(
                id=node.id,
                key="/".join(_own_key(n) for n in chain),
                depth=node.depth,
                code=node.code,
                title=node.title,
                display=node.display,
                path=tuple(n.display for n in chain),
                codes=tuple(n.code for n in chain),
                position=node.position,
            )
        self.item_nodes: dict[int, int | None] = {
            item_id: node_id
            for item_id, node_id in session.execute(
                select(Item.id, Item.node_id).where(Item.plan_id == plan_id)
            )
        }

    def chain(self, node_id: int | None) -> list[PlanNode]:
        """The node and its ancestors, top first."""
        return list(self.chains.get(node_id, ())) if node_id is not None else []

    def at_depth(self, depth: int) -> list[NodeRef]:
        return [ref for ref in self.refs.values() if ref.depth == depth]

    def ancestor_at(self, node_id: int | None, depth: int) -> NodeRef | None:
        """The node at `depth` above (or equal to) `node_id`; None when the chain is shorter."""
        for node in self.chain(node_id):
            if node.depth == depth:
                return self.refs[node.id]
        return None

    def item_node_at(self, item_id: int, depth: int) -> NodeRef | None:
        return self.ancestor_at(self.item_nodes.get(item_id), depth)

    def find(self, text: str, *, depth: int, within: list[NodeRef] | None = None) -> NodeRef:
        """The node at `depth` that `text` names; NotFound (listing choices) otherwise."""
        candidates = within if within is not None else self.at_depth(depth)
        found = [ref for ref in candidates if self._names(ref, text)]
        if len(found) == 1:
            return found[0]
        shown = tuple(ref.hint for ref in (found or candidates)[:MAX_LISTED])
        if found:
            raise NotFound(msg("node.ambiguous", text=text, choices=shown))
        raise NotFound(msg("node.not_found", text=text, choices=shown))

    def matches(self, ref: NodeRef, text: str) -> bool:
        """Does `text` name this node by itself (code, title, display)?"""
        return _names_node(ref.code, ref.title, ref.display, text)

    def _names(self, ref: NodeRef, text: str) -> bool:
        key = fold_key(text)
        if self.matches(ref, text) or key == fold_key(ref.hint):  # the hint names it too
            return True
        if not all(ref.codes):
            return False
        return any(key == fold_key(sep.join(ref.codes)) for sep in PATH_SEPARATORS)


def top_ancestors(session: Session, *, plan_id: int) -> tuple[dict[int, PlanNode], dict[int, int]]:
    """The plan's nodes by id, and the top ancestor of every node (one indexed query)."""
    nodes = {n.id: n for n in session.scalars(select(PlanNode).where(PlanNode.plan_id == plan_id))}
    tops: dict[int, int] = {}
    for node_id in nodes:
        chain = []
        current: int | None = node_id
        while current is not None and current not in tops and current in nodes:
            chain.append(current)
            current = nodes[current].parent_id
        top = tops[current] if current in tops else chain[-1]
        for member in chain:
            tops[member] = top
    return nodes, tops


def _own_key(node: PlanNode) -> str:
    return fold_key(node.code) if node.code else fold_key(node.title)


def _names_node(code: str, title: str, display: str, text: str) -> bool:
    key = fold_key(text)
    if not key:
        return False
    if key in {fold_key(display), fold_key(title)} or (code and key == fold_key(code)):
        return True
    coded = split_code(text)
    return (
        bool(coded.code)
        and fold_key(coded.code) == fold_key(code)
        and (not coded.title or fold_key(coded.title) == fold_key(title))
    )
