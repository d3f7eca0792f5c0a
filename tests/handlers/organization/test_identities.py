"""Invite codes cannot be guessed: wrong codes are counted per sender in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.errors import HokokuError, InvalidInput, TooManyAttempts
from handlers.organization.directory import find_department
from handlers.organization.identities import (
    INVITE_FAILURE_LIMIT,
    INVITE_FAILURE_WINDOW,
    create_invite,
    redeem_invite,
)
from models import AuditEntry, utcnow
from models.db import transaction
from tests.conftest import Db
from tests.factories import build_plan


def test_five_wrong_codes_lock_the_sender_out_for_the_window(db: Db) -> None:
    """Each attempt is its own transaction that commits with the refusal (as a chat message's
    does: the chat layer turns the error into the reply), so the count is durable."""
    with transaction(db.factory) as session:
        plan = build_plan(session, items=[("周知", ["女性センター"])])
        dept = find_department(session, organization_id=plan.organization_id, name="女性センター")
        code = create_invite(session, department=dept).code
    start = utcnow()

    def attempt(text: str, *, sender: str = "Uguess", minutes: float = 0) -> HokokuError | None:
        with transaction(db.factory) as session:
            try:
                redeem_invite(
                    session,
                    code=text,
                    platform="line",
                    external_id=sender,
                    sender=sender,
                    now=start + timedelta(minutes=minutes),
                )
            except HokokuError as exc:
                return exc
        return None

    for n in range(INVITE_FAILURE_LIMIT):
        wrong = attempt(f"WRONG{n:03d}")
        assert isinstance(wrong, InvalidInput) and "見つかりません" in wrong.message
    refused = attempt(code, minutes=1)  # even the right code is refused while locked out
    assert isinstance(refused, TooManyAttempts)
    assert "5回続けて失敗" in refused.message and "分ほど待って" in refused.message
    other = attempt("WRONG999", sender="Uother", minutes=1)  # another sender is not affected
    assert isinstance(other, InvalidInput)
    assert attempt(code, minutes=INVITE_FAILURE_WINDOW.total_seconds() / 60 + 1) is None

    with transaction(db.factory) as session:
        refusals = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "invite_refused")
        )
    assert refusals == 1
    used = attempt(code, sender="Ulate", minutes=30)  # still single use
    assert isinstance(used, InvalidInput) and "すでに使われています" in used.message
