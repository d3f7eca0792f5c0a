"""DM text, @mentions and App Home over signed Events API requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import BoltContext
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.slack.app import make_client
from bot.slack.handoff import put_runtime, runtime_of
from bot.slack.listeners import events
from models import ChatIdentity, Report, ReportRevision
from models.db import transaction
from tests.bot.slack.harness import SlackHarness, seed
from tests.conftest import Db
from tests.fakes.slack_api import FakeSlackApi


def graded(db: Db) -> int:
    with transaction(db.factory) as session:
        return session.scalar(select(func.count()).where(Report.grade.is_not(None))) or 0


def test_unlinked_user_gets_polite_explanation_and_nothing_is_stored(
    db: Db, slack: SlackHarness
) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={})
    response = slack.dm("U9", "1 B 周知した", event_id="Ev1")
    assert response.status_code == 200
    [reply] = slack.api.wait_for("chat.postMessage")
    assert reply.body["channel"] == "DU9"
    assert "まだ担当課に登録されていません" in reply.body["text"]
    assert graded(db) == 0
    with transaction(db.factory) as session:
        assert session.scalar(select(func.count()).select_from(ChatIdentity)) == 0


def test_dm_answer_is_stored_once_even_when_slack_retries(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    slack.dm("U1", "1 B 市広報紙で周知した", event_id="Ev100")
    slack.dm("U1", "1 B 市広報紙で周知した", event_id="Ev100", retry_num=1)
    [reply] = slack.api.of("chat.postMessage")
    assert "保存" in reply.body["text"] and "全1件すべて回答済み" in reply.body["text"]
    with transaction(db.factory) as session:
        assert session.scalar(select(func.count()).select_from(ReportRevision)) == 1
    assert graded(db) == 1


def test_wrong_department_item_in_dm_is_refused(db: Db, slack: SlackHarness) -> None:
    seed(
        db,
        items=[("広報", ["女性センター"]), ("道路", ["道路課"])],
        links={"U1": [("女性センター", "member")]},
    )
    slack.dm("U1", "2 A 舗装した", event_id="Ev2")
    [reply] = slack.api.of("chat.postMessage")
    assert "項目 2 は女性センターの担当ではありません" in reply.body["text"]
    assert graded(db) == 0


def test_several_departments_are_asked_which_one_then_answer_is_stored(
    db: Db, slack: SlackHarness
) -> None:
    data = seed(
        db,
        items=[("広報", ["女性センター", "人権課"])],
        links={"U1": [("女性センター", "member"), ("人権課", "member")]},
    )
    slack.dm("U1", "1 A 研修を実施", event_id="Ev3")
    [question] = slack.api.of("chat.postMessage")
    buttons = question.json_field("blocks")[1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["人権課", "女性センター"]
    assert graded(db) == 0
    chosen = next(b for b in buttons if b["text"]["text"] == "人権課")
    slack.click("U1", chosen["action_id"], chosen["value"])
    slack.click("U1", chosen["action_id"], chosen["value"])  # double click
    replies = slack.api.of("chat.postMessage")
    assert len(replies) == 2 and "人権課" in replies[1].body["text"]
    with transaction(db.factory) as session:
        row = session.execute(
            select(Report.grade, Report.comment).where(Report.grade.is_not(None))
        ).one()
    assert tuple(row) == ("A", "研修を実施")
    assert data.departments["人権課"]


def test_mention_in_linked_channel_answers_for_the_channels_department(
    db: Db, slack: SlackHarness
) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={"C0WOMEN": [("女性センター", "member")]})
    slack.event(
        {
            "type": "app_mention",
            "channel": "C0WOMEN",
            "user": "U5",
            "text": "<@UBOT> 1 C 一部実施",
            "ts": "1700000001.000100",
        },
        event_id="Ev4",
    )
    [reply] = slack.api.of("chat.postMessage")
    assert reply.body["channel"] == "C0WOMEN"
    assert reply.body["thread_ts"] == "1700000001.000100"
    assert graded(db) == 1


def test_rate_limited_reply_is_retried_after_retry_after(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    slack.api.fail_once("chat.postMessage", status=429, retry_after=1)
    slack.dm("U1", "状況", event_id="Ev5")
    calls = slack.api.of("chat.postMessage")
    assert len(calls) == 2  # the 429, then the retry the handler made after Retry-After
    assert calls[0].body == calls[1].body


def test_app_home_shows_member_items_and_office_progress(db: Db, slack: SlackHarness) -> None:
    seed(
        db,
        items=[("広報", ["女性センター"]), ("道路", ["道路課"])],
        links={"U1": [("女性センター", "member")], "UOFF": [("女性センター", "office")]},
    )
    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="Ev6")
    slack.event({"type": "app_home_opened", "user": "UOFF", "tab": "home"}, event_id="Ev7")
    member, office = slack.api.of("views.publish")
    member_text = str(member.json_field("view"))
    assert member.body["user_id"] == "U1"
    assert "未回答" in member_text and "hokoku_open_report" in member_text
    assert "道路課" not in member_text
    office_text = str(office.json_field("view"))
    assert "道路課" in office_text and "女性センター" in office_text


def test_a_listener_is_a_function_that_runs_alone(
    db: Db, slack_runtime: Runtime, fake_slack: FakeSlackApi
) -> None:
    """No bolt app: given a context with the runtime, an executor (what RuntimeMiddleware
    gives it) and a client (what bolt gives it), store_dm stores the answer, and the reply
    is posted in that executor. The runtime travels in bolt's copy of the context (for a
    lazy listener) as itself."""
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    context = BoltContext()
    with ThreadPoolExecutor(1) as executor:
        put_runtime(context, slack_runtime, executor)
        context["client"] = make_client(slack_runtime.settings)
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "DU1",
            "user": "U1",
            "text": "1 B 市広報紙で周知した",
            "ts": "1700000000.000100",
        }
        events.store_dm({"event_id": "EvAlone", "event": event}, event, context)
        assert graded(db) == 1
        [reply] = fake_slack.wait_for("chat.postMessage")
    assert reply.body["channel"] == "DU1" and "保存" in reply.body["text"]
    assert runtime_of(context.to_copyable()) is slack_runtime
