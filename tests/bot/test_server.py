"""The shared ASGI server: health check, Slack signature checks (forged, stale → 401)."""

from __future__ import annotations

import os
import time

from sqlalchemy import func, select

from models import ProcessedEvent, Report
from models.db import transaction
from tests.bot.slack.harness import SlackHarness, seed
from tests.conftest import Db


def test_healthz_reports_platforms(db: Db, slack: SlackHarness) -> None:
    response = slack.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "platforms": ["slack"],
        "pid": os.getpid(),
        "slack-reply-process": {"running": True, "waiting": 0},
    }


def _nothing_happened(db: Db, slack: SlackHarness) -> None:
    assert slack.api.calls == []
    with transaction(db.factory) as session:
        assert session.scalar(select(func.count()).where(Report.grade.is_not(None))) == 0
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


def test_forged_signature_is_rejected(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    response = slack.dm("U1", "1 A 偽物", event_id="EvF", secret="not-the-secret")
    assert response.status_code == 401
    _nothing_happened(db, slack)


def test_stale_timestamp_is_rejected(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    response = slack.dm("U1", "1 A 古い", event_id="EvOld", timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401
    response = slack.command("U1", "status", timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401
    _nothing_happened(db, slack)
