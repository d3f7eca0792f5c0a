"""The work done before Slack gets its answer runs a fixed, small number of statements,
however many items and plan nodes there are (issue: one DM answer ran 55 statements).

A DM answer: who asks (with whether they have conversation state open), the claim of the
delivery, the round, the department's slots locked (with whether they already hold this
delivery's answers), and the answers written: 4 on PostgreSQL (the claim and who asks are
one statement, the UPDATE and the revisions' INSERT another), 6 on SQLite (an UPDATE and an
INSERT, each one executemany); a question a grade button left open is cleared by one more."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from bot import intake
from bot.line import events as line_events
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.actors import actor
from handlers.interaction import Inbound, handle
from handlers.interaction.intents import FormPage, GradeButton, Text
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.organization.identities import link_identity
from models import Plan, PlanNode, utcnow
from models.db import transaction
from tests.conftest import Db
from tests.factories import build_plan, open_test_round
from tests.statements import counting


def office(db: Db, items: int) -> tuple[Runtime, int, int]:
    """A department owning `items` items spread over as many plan nodes."""
    with transaction(db.factory) as session:
        plan = build_plan(
            session, items=[(f"取組{n}", ["女性センター"]) for n in range(1, items + 1)]
        )
        parent = session.query(PlanNode).filter_by(plan_id=plan.id).one()
        for item in session.get_one(Plan, plan.id).items:  # one node per item: many nodes
            node = PlanNode(
                plan_id=plan.id,
                parent_id=parent.id,
                depth=1,
                code=f"({item.number})",
                title="施策",
                position=item.number,
            )
            session.add(node)
            session.flush()
            item.node_id = node.id
        round_id = open_test_round(session, plan).id
        org = get_or_create_organization(session, name="default").id
        dept = find_department(session, organization_id=org, name="女性センター")
        link_identity(session, department=dept, platform="slack", external_id="U1")
        link_identity(session, department=dept, platform="line", external_id="L1")
    settings = Settings(
        database_url=db.url,
        slack_bot_token=SecretStr("xoxb"),
        slack_signing_secret=SecretStr("s"),
    )
    return (
        Runtime(settings=settings, engine=db.engine, factory=db.factory, organization_id=org),
        round_id,
        dept.id,
    )


def claim_and_who(db: Db) -> int:
    """Statements that claim a delivery and read who asks: one on PostgreSQL (the claim in a
    data-modifying CTE), two on SQLite."""
    return 1 if db.engine.dialect.name == "postgresql" else 2


def writes(db: Db) -> int:
    """Statements that store a batch's answers: the UPDATE and the revisions' INSERT are one
    on PostgreSQL, two executemanys on SQLite."""
    return 1 if db.engine.dialect.name == "postgresql" else 2


def statements(db: Db, work: Callable[[], object]) -> int:
    with counting(db.engine) as seen:
        work()
    return len(seen)


def dm(runtime: Runtime, text: str, event_id: str) -> Callable[[], object]:
    who = actor(runtime, user_id="U1")
    return lambda: intake.run(runtime, who, Text(text), delivery=event_id)


def line(runtime: Runtime, intent: Text | GradeButton, event_id: str) -> Callable[[], object]:
    """A LINE event handled as the webhook does (its own transaction, claimed once)."""
    chat = line_events.Chat("user", "L1", "L1")
    who = line_events.actor(chat, organization_id=runtime.organization_id, language="ja")

    def run() -> object:
        inbound = Inbound(who, intent, now=utcnow(), today=runtime.today(), delivery=event_id)
        with transaction(runtime.factory) as session:
            return handle(session, inbound)

    return run


@pytest.mark.parametrize("items", [5, 60])
def test_a_dm_answer_runs_at_most_6_statements(db: Db, items: int) -> None:
    runtime, _, _ = office(db, items)
    most = claim_and_who(db) + 2 + writes(db)  # 4 on PostgreSQL, 6 on SQLite
    assert statements(db, dm(runtime, "1 B 市広報紙で周知した", "Ev1")) <= most
    assert statements(db, dm(runtime, "1 A 修正", "Ev2")) <= most  # a revision too
    assert statements(db, dm(runtime, "1 A 修正", "Ev2")) <= 2  # redelivered: who, the claim


@pytest.mark.parametrize("items", [5, 60])
def test_pending_runs_at_most_5_statements(db: Db, items: int) -> None:
    runtime, _, _ = office(db, items)
    assert statements(db, dm(runtime, "未回答", "Ev1")) <= claim_and_who(db) + 3  # 4 on PostgreSQL


@pytest.mark.parametrize("items", [5, 60])
def test_a_line_text_answer_and_grade_button_run_at_most_7_statements(db: Db, items: int) -> None:
    runtime, round_id, dept_id = office(db, items)
    most = claim_and_who(db) + 2 + writes(db)  # 4 on PostgreSQL, 6 on SQLite
    assert statements(db, line(runtime, Text("1 B 市広報紙で周知した"), "W1")) <= most
    assert statements(db, line(runtime, Text("1 A 修正"), "W2")) <= most
    # A grade button stores the grade and waits for the comment (one more statement); the
    # answer typed next clears that wait (one more).
    assert statements(db, line(runtime, GradeButton(round_id, dept_id, 2, "B"), "W3")) <= most + 1
    assert statements(db, line(runtime, Text("3 A 研修"), "W4")) <= most + 1


@pytest.mark.parametrize("items", [5, 60])
def test_a_modal_page_submission_runs_at_most_8_statements(db: Db, items: int) -> None:
    runtime, round_id, dept_id = office(db, items)
    pages = -(-items // 10)
    who = actor(runtime, user_id="U1")

    def submit(page: int) -> Callable[[], object]:
        values = {page * 10 + n: ("B", f"報告{n}") for n in range(1, 11) if page * 10 + n <= items}
        form = FormPage(
            round_id, dept_id, page, values, form_id="V1", submit_key=f"view:V1:h{page}"
        )
        return lambda: intake.run(runtime, who, form)

    counts = [statements(db, submit(page)) for page in range(pages)]
    # A page turned: who, the round and department with the slot count (plain columns: what
    # the last page needs), the round and its plan for the next page's view, the draft read
    # and saved, the slots of the next page and last year's round (and its paths).
    assert max(counts[:-1], default=0) <= 8, counts
    # The last page: who, the round and department with the slot count, the claim, the
    # draft, the slots locked and the answers written (a form of one page reads no draft):
    # 5 or 6 on PostgreSQL, 6 or 7 on SQLite.
    stored = 4 + writes(db) + (0 if pages == 1 else 1)
    assert counts[-1] <= stored, counts
    # Revisions of the last page: some change only the comment, some the grade too (the
    # ORM's flush would write them as two UPDATEs).
    last = pages - 1
    numbers = [n for n in range(last * 10 + 1, last * 10 + 11) if n <= items]
    revised = {n: ("B" if n % 2 else "C", f"修正{n}") for n in numbers}
    form = FormPage(round_id, dept_id, last, revised, form_id="V2", submit_key=f"view:V2:h{last}")
    assert statements(db, lambda: intake.run(runtime, who, form)) <= stored


@pytest.mark.parametrize("items", [5, 60])
def test_the_office_status_asked_again_runs_at_most_4_statements(db: Db, items: int) -> None:
    """The office's status is kept while the round is unchanged: asked again it costs who
    asks, the claim (one statement with who asks on PostgreSQL: 3 there), the round and the
    stamp that says nothing changed."""
    runtime, _, _ = office(db, items)
    with transaction(db.factory) as session:
        dept = find_department(
            session, organization_id=runtime.organization_id, name="女性センター"
        )
        link_identity(session, department=dept, platform="slack", external_id="UOFF", role="office")
    who = actor(runtime, user_id="UOFF")

    def status(event_id: str) -> Callable[[], object]:
        return lambda: intake.run(runtime, who, Text("状況"), delivery=event_id)

    first = statements(db, status("Ev1"))
    assert statements(db, status("Ev2")) <= claim_and_who(db) + 2 < first
    statements(db, dm(runtime, "1 B 市広報紙で周知した", "Ev3"))  # an answer: computed again
    assert statements(db, status("Ev4")) == first
