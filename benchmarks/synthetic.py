"""Synthetic plans and answered rounds of any size, for the export and status benchmarks.

A plan has three hierarchy levels (基本目標 › 課題 › 施策) over items with one to four 担当課
each, shaped like the Nishitokyo table; every slot gets a grade and a comment of realistic
length. Rows are written with Core bulk inserts and one UPDATE, so a 50,000-row round takes
seconds to build; the code under measurement (export, status) is the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from handlers.organization.directory import get_or_create_department, get_or_create_organization
from handlers.reporting.rounds import open_round
from models import Assignment, Item, Plan, PlanNode, Report

GOALS = ("人権の尊重", "男女平等参画の推進", "誰もがいきいきと暮らせる社会", "推進体制の整備")
DEPARTMENTS = (
    "協働コミュニティ課",
    "秘書広報課",
    "子育て支援課",
    "健康課",
    "教育指導課",
    "産業振興課",
    "職員課",
    "生活福祉課",
    "高齢者支援課",
    "障害福祉課",
    "危機管理課",
    "文化振興課",
    "公民館",
    "図書館",
    "子ども家庭支援センター",
)
COMMENTS = (
    "情報誌を年4回発行し、市内公共施設で配布した。",
    "市報及びホームページで男女平等参画に関する情報を提供した。パネル展を市役所ロビーで開催し、"
    "約300人が来場した。",
    "講座を2回開催し、延べ45人が参加した。アンケートでは参加者の9割が「理解が深まった」と回答した。"
    "次年度はオンライン参加も選べるようにする。",
    "前年度に引き続き実施した。",
    "相談窓口の周知カードを作成し、市内の医療機関、学校、商業施設など120か所に配布した。"
    "相談件数は前年度比で1.2倍となり、関係機関との連携会議を3回開催して支援の流れを確認した。"
    "DV防止啓発月間にはSNSでの発信も行った。",
)
GRADES = ("A", "B", "B", "C", "B", "D")


@dataclass(frozen=True)
class SyntheticRound:
    round_id: int
    slots: int


def build_round(
    session: Session,
    *,
    slots: int,
    name: str,
    organization: str = "benchmark",
    fiscal_year: int = 2023,
    answered: bool = True,
    rounds: int = 1,
) -> SyntheticRound:
    """A plan with `slots` item × department rows and `rounds` rounds (the last is returned).

    Every 5 items share a 施策, every 4 施策 a 課題, every 3 課題 a 基本目標 (cycling through
    four titles); items have 1–4 departments (2 on average).
    """
    org = get_or_create_organization(session, name=organization)
    departments = [
        get_or_create_department(session, organization_id=org.id, name=n).id for n in DEPARTMENTS
    ]
    plan = Plan(
        organization_id=org.id,
        name=name,
        level_labels=["基本目標", "課題", "施策"],
        item_label="事業",
    )
    session.add(plan)
    session.flush()

    counts = [1 + (i * 7) % 4 for i in range(slots)]  # 1,4,3,2,… departments per item
    items_needed, total = 0, 0
    while total < slots:
        total += min(counts[items_needed], slots - total)
        items_needed += 1
    measures = (items_needed + 4) // 5
    issues = (measures + 3) // 4
    goals = (issues + 2) // 3

    def add_nodes(depth: int, n: int, parents: list[int], per_parent: int) -> list[int]:
        rows = [
            {
                "plan_id": plan.id,
                "parent_id": parents[i // per_parent] if parents else None,
                "depth": depth,
                "code": f"{i + 1}" if depth else f"{'I' * (1 + i % 3)}-{i + 1}",
                "title": GOALS[i % len(GOALS)] if depth == 0 else f"取組の方向{i + 1}の推進",
                "is_priority": i % 5 == 0,
                "position": depth * 1_000_000 + i,
            }
            for i in range(n)
        ]
        session.execute(insert(PlanNode), rows)
        return list(
            session.scalars(
                select(PlanNode.id)
                .where(PlanNode.plan_id == plan.id, PlanNode.depth == depth)
                .order_by(PlanNode.position)
            )
        )

    goal_ids = add_nodes(0, goals, [], 1)
    issue_ids = add_nodes(1, issues, goal_ids, 3)
    measure_ids = add_nodes(2, measures, issue_ids, 4)
    session.execute(
        insert(Item),
        [
            {
                "plan_id": plan.id,
                "node_id": measure_ids[i // 5],
                "number": i + 1,
                "code": "①②③④⑤"[i % 5],
                "title": f"男女平等参画の視点にたった事業{i + 1}の実施と周知",
                "description": "",
                "is_priority": False,
                "position": i,
            }
            for i in range(items_needed)
        ],
    )
    item_ids = list(
        session.scalars(select(Item.id).where(Item.plan_id == plan.id).order_by(Item.position))
    )
    assignments, left = [], slots
    for index, item_id in enumerate(item_ids):
        for position in range(min(counts[index], left)):
            assignments.append(
                {
                    "item_id": item_id,
                    "department_id": departments[(index + position * 4) % len(departments)],
                    "position": position,
                }
            )
        left -= min(counts[index], left)
    session.execute(insert(Assignment), assignments)

    round_id = 0
    for year in range(fiscal_year - rounds + 1, fiscal_year + 1):
        round_id = open_round(
            session,
            plan=plan,
            fiscal_year=year,
            deadline=date(year + 1, 5, 31),
            opens_on=date(year + 1, 4, 1),
        ).id
        if answered:
            answer_all(session, round_id=round_id, seed=year)
    return SyntheticRound(round_id=round_id, slots=slots)


def answer_all(session: Session, *, round_id: int, seed: int = 0) -> None:
    """Give every slot of the round a grade and a comment (30 UPDATEs, not one per slot)."""
    cycle = len(GRADES) * len(COMMENTS)
    for offset in range(cycle):
        session.execute(
            update(Report)
            .where(Report.round_id == round_id, (Report.id + seed) % cycle == offset)
            .values(
                grade=GRADES[offset % len(GRADES)],
                comment=COMMENTS[offset % len(COMMENTS)],
                revision=1,
            )
        )
