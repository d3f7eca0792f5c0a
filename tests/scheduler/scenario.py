"""A small round with departments linked on Slack and LINE, shared by the scheduler tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from handlers.reporting.reports import submit_answer
from models import Round
from models.db import transaction
from tests.factories import build_plan, open_test_round
from tests.scheduler.doubles import RecordingMessenger, link

JINKEN, KOSODATE, BOSAI, CENTER = "人権課", "子育て支援課", "防災課", "女性センター"


@dataclass
class Scenario:
    round_id: int
    departments: dict[str, int]
    identities: dict[str, int]  # external id → ChatIdentity id
    slack: RecordingMessenger
    line: RecordingMessenger

    @property
    def messengers(self) -> dict[str, RecordingMessenger]:
        return {"slack": self.slack, "line": self.line}


def build_scenario(
    factory: sessionmaker[Session],
    *,
    deadline: date = date(2024, 5, 10),
    opens_on: date = date(2024, 4, 1),
) -> Scenario:
    with transaction(factory) as s:
        plan = build_plan(
            s,
            items=[
                ("人権啓発", [JINKEN]),
                ("相談窓口", [JINKEN, KOSODATE]),
                ("子育て支援", [KOSODATE]),
                ("情報誌の発行", [CENTER]),
                ("防災と男女共同参画", [BOSAI]),
            ],
        )
        info = open_test_round(s, plan, deadline=deadline)
        rnd = s.get_one(Round, info.id)
        rnd.opens_on = opens_on
        idents = {
            "C-JINKEN": link(s, JINKEN, platform="slack", external_id="C-JINKEN", kind="channel"),
            "U-JIN1": link(s, JINKEN, platform="slack", external_id="U-JIN1"),
            "G-KOSO": link(s, KOSODATE, platform="line", external_id="G-KOSO", kind="group"),
            "U-BOSAI": link(s, BOSAI, platform="line", external_id="U-BOSAI"),
            "U-OFFICE": link(s, CENTER, platform="slack", external_id="U-OFFICE", office=True),
        }
        s.flush()
        departments = {i.department.name: i.department_id for i in idents.values()}
        return Scenario(
            round_id=info.id,
            departments=departments,
            identities={k: v.id for k, v in idents.items()},
            slack=RecordingMessenger("slack"),
            line=RecordingMessenger("line"),
        )


def answer(factory: sessionmaker[Session], sc: Scenario, dept: str, *items: int) -> None:
    with transaction(factory) as s:
        for number in items:
            submit_answer(
                s,
                round_id=sc.round_id,
                department_id=sc.departments[dept],
                item_number=number,
                grade="B",
                comment="実施した",
                reporter="test",
                channel="test",
            )
