"""`指標 16 62.3` delivered twice (Slack retries the event, LINE redelivers the webhook):
one revision, one reply; a new message with the same value is `unchanged`."""

from __future__ import annotations

from sqlalchemy import select

from models import IndicatorValue, IndicatorValueRevision
from models.db import transaction
from tests.bot.line.conftest import text_event
from tests.bot.test_chat_charts import _post, line_app, slack_app
from tests.conftest import Db


def _revisions(db: Db) -> list[tuple[float, int, str]]:
    with transaction(db.factory) as session:
        return [
            (r.value, r.revision, r.channel)
            for r in session.scalars(
                select(IndicatorValueRevision).order_by(IndicatorValueRevision.id)
            )
        ]


def test_slack_stores_a_redelivered_indicator_value_once(db: Db) -> None:
    with slack_app(db) as slack:
        slack.dm("U1", "指標 16 35.5", event_id="EvInd1")
        slack.dm("U1", "指標 16 35.5", event_id="EvInd1", retry_num=1)
        slack.dm("U1", "指標 16 35.5%", event_id="EvInd2")
        texts = [c.body["text"] for c in slack.api.of("chat.postMessage")]
        assert len(texts) == 2
        assert "35.5% … 保存" in texts[0] and "進捗 55%" in texts[0]
        assert "35.5% … 変更なし" in texts[1]
    assert _revisions(db) == [(35.5, 1, "slack")]


def test_line_stores_a_redelivered_indicator_value_once(db: Db) -> None:
    with line_app(db, language="en") as (url, api, _runtime):
        event = text_event("indicator 16 36", user="U1")
        _post(url, event)
        _post(url, {**event, "deliveryContext": {"isRedelivery": True}})
        _post(url, text_event("indicator 16 37", user="U1"))
        replies = api.wait_for(2, path="/v2/bot/message/reply")
        assert len(replies) == 2
        assert "36% … stored" in replies[0].texts[0]
        assert "37% … revised (version 2)" in replies[1].texts[0]
    assert _revisions(db) == [(36.0, 1, "line"), (37.0, 2, "line")]
    with transaction(db.factory) as session:
        [current] = session.scalars(select(IndicatorValue))
        assert (current.value, current.revision, current.reporter) == (37.0, 2, "U1")
