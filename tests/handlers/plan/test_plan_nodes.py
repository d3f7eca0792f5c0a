"""Plan nodes named the way the refusals list them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from handlers.organization.directory import get_or_create_organization
from handlers.plan.nodes import PlanTree
from handlers.plan.table_import import import_plan


def test_every_node_is_found_by_the_hint_a_refusal_lists(
    session: Session, samples_dir: Path
) -> None:
    org = get_or_create_organization(session, name="西東京市").id
    plan = import_plan(session, organization_id=org, path=samples_dir / "nishitokyo_plan.csv")
    tree = PlanTree(session, plan_id=plan.plan_id)
    for depth in (0, 1, 2):
        refs = tree.at_depth(depth)
        assert refs
        for ref in refs:
            assert tree.find(ref.hint, depth=depth) == ref, ref.hint
