"""Pruning keeps tables bounded and never touches what still prevents a duplicate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.interaction.dedupe import claim_event
from handlers.organization.directory import find_department
from handlers.organization.identities import link_identity
from models import (
    ConversationState,
    InviteFailure,
    Notification,
    ProcessedEvent,
    PublishedChart,
    Round,
    utcnow,
)
from models.outbox import STATUS_PENDING, STATUS_SENT
from scheduler.housekeeping import prune
from tests.factories import build_plan, open_test_round


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_old_dedupe_keys_states_failures_and_closed_round_rows_are_pruned(session: Session) -> None:
    now = utcnow()
    old = now - timedelta(days=100)
    plan = build_plan(session, items=[("周知", ["女性センター"])])
    closed = open_test_round(session, plan, year=2022)
    still_open = open_test_round(session, plan, year=2023)
    session.get_one(Round, closed.id).closed_at = old
    dept = find_department(session, organization_id=plan.organization_id, name="女性センター")
    identity = link_identity(session, department=dept, platform="line", external_id="U1")

    claim_event(session, platform="line", event_key="old", now=old)
    claim_event(session, platform="line", event_key="new", now=now)
    session.add_all(
        [
            ConversationState(
                platform="line", chat_id="c", user_id="u1", kind="k", data={}, expires_at=old
            ),
            ConversationState(
                platform="line",
                chat_id="c",
                user_id="u2",
                kind="k",
                data={},
                expires_at=now + timedelta(minutes=5),
            ),
            InviteFailure(platform="line", sender="U9", at=old),
            InviteFailure(platform="line", sender="U9", at=now),
            *(
                PublishedChart(
                    token_hash=name * 64,
                    round_id=still_open.id,
                    kind="grades",
                    png=b"\x89PNG",
                    created_at=now - timedelta(hours=2),
                    expires_at=expires,
                )
                for name, expires in (
                    ("a", now - timedelta(minutes=1)),
                    ("b", now + timedelta(hours=1)),
                )
            ),
        ]
    )
    for key, round_id, status in [
        ("closed-sent", closed.id, STATUS_SENT),
        ("closed-pending", closed.id, STATUS_PENDING),
        ("open-sent", still_open.id, STATUS_SENT),  # its key still stops a second send
    ]:
        session.add(
            Notification(
                key=key,
                round_id=round_id,
                identity_id=identity.id,
                platform="line",
                purpose="request",
                due_at=old,
                status=status,
                created_at=old,
            )
        )
    session.flush()

    pruned = prune(session, now=now, retention=timedelta(days=90))

    assert (
        pruned.events,
        pruned.states,
        pruned.invite_failures,
        pruned.notifications,
        pruned.charts,
    ) == (1, 1, 1, 1, 1)
    assert session.scalars(select(PublishedChart.token_hash)).all() == ["b" * 64]
    assert session.scalars(select(ProcessedEvent.event_key)).all() == ["new"]
    assert sorted(session.scalars(select(Notification.key))) == ["closed-pending", "open-sent"]
    assert count(session, ConversationState) == 1 and count(session, InviteFailure) == 1
