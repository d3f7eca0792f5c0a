"""The App Home tab is republished after the person answers (DM text, modal, department
choice), once they have opened it; a Home tab never opened is built when it is opened."""

from __future__ import annotations

import logging

import pytest

from bot.slack import ids
from tests.bot.slack import payloads
from tests.bot.slack.harness import SlackHarness, seed
from tests.bot.slack.listeners.test_events import graded
from tests.bot.slack.listeners.test_views import opened_view, state
from tests.conftest import Db
from tests.fakes.slack_api import Call

ITEMS = [("広報", ["女性センター"]), ("研修", ["女性センター"])]


def home_text(call: Call) -> str:
    view = call.json_field("view")
    assert view["type"] == "home"
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in view["blocks"])


def test_dm_answer_republishes_the_home_tab(db: Db, slack: SlackHarness) -> None:
    seed(db, items=ITEMS, links={"U1": [("女性センター", "member")]})
    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvH0")
    [before] = slack.api.of("views.publish")
    assert "回答 0/2件" in home_text(before) and "回答済み" not in home_text(before)

    slack.dm("U1", "1 B 市広報紙で周知した", event_id="EvH1")
    reply, home = slack.api.calls[-2:]  # the answer first, then the Home tab
    assert reply.method == "chat.postMessage" and home.method == "views.publish"
    assert home.body["user_id"] == "U1"
    text = home_text(home)
    assert "回答 1/2件" in text
    assert "*回答済み*\n• 1  1 広報 → *B*" in text
    assert "*未回答*" in text and "研修" in text.split("*未回答*")[1]

    # Redelivered event, a question and an unchanged answer: nothing new, no republish.
    slack.dm("U1", "1 B 市広報紙で周知した", event_id="EvH1", retry_num=1)
    slack.dm("U1", "状況", event_id="EvH2")
    slack.dm("U1", "1 B 市広報紙で周知した", event_id="EvH3")
    assert len(slack.api.of("views.publish")) == 2

    # A revision moves the lists again.
    slack.dm("U1", "1 A 年4回発行", event_id="EvH4")
    latest = slack.api.of("views.publish")[-1]
    assert "• 1  1 広報 → *A*" in home_text(latest)


def test_modal_submission_republishes_the_home_tab(db: Db, slack: SlackHarness) -> None:
    data = seed(db, items=ITEMS, links={"U1": [("女性センター", "member")]})
    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvH0")
    slack.click("U1", ids.ACTION_OPEN_REPORT, data.button("女性センター"))
    response = slack.submit(
        "U1", opened_view(slack), state({1: ("C", "予定の半分"), 2: ("A", "研修3回")})
    )
    assert response.status_code == 200 and response.content in (b"", b"{}")
    _, home = slack.api.of("views.publish")
    assert home.body["user_id"] == "U1"
    text = home_text(home)
    assert "回答 2/2件" in text and "*未回答*" not in text
    assert "→ *C*" in text and "→ *A*" in text


def test_department_choice_answer_republishes_the_home_tab(db: Db, slack: SlackHarness) -> None:
    seed(
        db,
        items=[("広報", ["女性センター", "人権課"])],
        links={"U1": [("女性センター", "member"), ("人権課", "member")]},
    )
    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvH0")
    slack.dm("U1", "1 A 研修を実施", event_id="EvC1")
    assert len(slack.api.of("views.publish")) == 1  # nothing stored yet: asked which department
    buttons = slack.api.of("chat.postMessage")[0].json_field("blocks")[1]["elements"]
    chosen = next(b for b in buttons if b["text"]["text"] == "人権課")
    slack.click("U1", chosen["action_id"], chosen["value"])
    _, home = slack.api.of("views.publish")
    text = home_text(home)
    assert "*人権課*  回答 1/1件" in text and "*女性センター*  回答 0/1件" in text


def test_home_publish_failure_keeps_the_answer_and_is_only_logged(
    db: Db, slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    seed(db, items=ITEMS, links={"U1": [("女性センター", "member")]})
    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvH0")
    slack.api.fail_once("views.publish", error="not_enabled")
    with caplog.at_level(logging.WARNING, logger="bot.slack.home"):
        slack.dm("U1", "1 B 市広報紙で周知した", event_id="EvF1")
    assert graded(db) == 1
    [reply] = slack.api.of("chat.postMessage")
    assert "保存" in reply.body["text"]
    assert len(slack.api.of("views.publish")) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("App Home not refreshed for U1" in m and "not_enabled" in m for m in warnings)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # bolt saw no error


def test_home_refreshes_asked_for_while_one_runs_coalesce_into_one_more() -> None:
    """Three answers while a user's Home tab is being rebuilt: one more rebuild, not three."""
    from bot.slack.home import _Coalesced

    refreshing = _Coalesced()
    key = (1, "U1")
    assert refreshing.enter(key)  # the first refresh runs
    assert not refreshing.enter(key)  # asked for meanwhile: left to the one running
    assert not refreshing.enter(key)
    assert refreshing.enter((1, "U2"))  # another user's refresh runs beside it
    assert refreshing.once_more(key)  # the running one renders once more
    assert not refreshing.once_more(key)  # and is done
    assert refreshing.enter(key)  # the next answer refreshes again
    refreshing.leave(key)
    assert refreshing.enter(key)


def test_a_home_tab_never_opened_is_not_rebuilt_after_answers(db: Db, slack: SlackHarness) -> None:
    """Opening the tab publishes it afresh, so rebuilding it for someone who never looked
    at it is work for nobody: after the first opening, answers republish it."""
    seed(db, items=ITEMS, links={"U1": [("女性センター", "member")]})
    slack.dm("U1", "1 B 市広報紙で周知した", event_id="EvN1")
    [reply] = slack.api.of("chat.postMessage")
    assert "保存" in reply.body["text"]
    assert slack.api.of("views.publish") == []

    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvN2")
    [opened] = slack.api.of("views.publish")
    assert "回答 1/2件" in home_text(opened)  # built afresh: the answer is there
    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvN3")
    slack.dm("U1", "2 A 研修3回", event_id="EvN4")
    *_, refreshed = slack.api.of("views.publish")
    assert len(slack.api.of("views.publish")) == 3
    assert "回答 2/2件" in home_text(refreshed)


def test_taking_an_answer_back_republishes_the_home_tab(db: Db, slack: SlackHarness) -> None:
    """A deleted answer and an edit that drops one move the lists as an answer does."""
    seed(db, items=ITEMS, links={"U1": [("女性センター", "member")]})
    slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvW0")
    first = payloads.message("U1", "1 B 市広報紙で周知した\n2 A 研修3回", channel="DU1")
    slack.event(first, event_id="EvW1")
    assert "回答 2/2件" in home_text(slack.api.of("views.publish")[-1])

    slack.event(payloads.changed(first, "1 B 市広報紙で周知した"), event_id="EvW2")
    dropped = home_text(slack.api.of("views.publish")[-1])
    assert "回答 1/2件" in dropped and "研修" in dropped.split("*未回答*")[1]

    slack.event(payloads.deleted(first), event_id="EvW3")
    assert len(slack.api.of("views.publish")) == 4
    deleted = home_text(slack.api.of("views.publish")[-1])
    assert "回答 0/2件" in deleted and "回答済み" not in deleted

    # Slack's retry of the delete withdraws nothing more and republishes nothing.
    slack.event(payloads.deleted(first), event_id="EvW3", retry_num=1)
    assert len(slack.api.of("views.publish")) == 4
