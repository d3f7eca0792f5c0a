"""Plain replies posted by the reply process beside the server (bot.slack.reply_process):
handed over once, posted once, none lost when the process dies or the server stops."""

from __future__ import annotations

import os
import signal
import time

import pytest
from pydantic import SecretStr

from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack import reply_worker
from bot.slack.http import dispatches_at_once
from bot.slack.reply_process import ReplyProcess
from tests.bot.slack.harness import SlackHarness, seed
from tests.conftest import Db
from tests.fakes.slack_api import FakeSlackApi

MEMBER = {"U1": [("女性センター", "member")]}


def _settings(api: FakeSlackApi) -> Settings:
    return Settings(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=api.url)


def _dead(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def test_a_dm_answers_reply_is_posted_by_the_reply_process(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links=MEMBER)
    assert slack.replies is not None and slack.replies.pid not in (None, os.getpid())

    slack.dm("U1", "1 B 市広報紙で周知した", event_id="Ev1")

    [reply] = slack.api.of("chat.postMessage")
    assert reply.body["channel"] == "DU1"
    assert "保存" in reply.body["text"] and "全1件すべて回答済み" in reply.body["text"]
    assert reply.json_field("blocks")[0]["type"] == "section"
    assert reply.authorization == "Bearer xoxb-test"
    assert slack.replies.handed == 1  # it went through the pipe, not the server's threads


def test_a_dead_reply_process_is_replaced_and_no_reply_is_lost(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"]), ("啓発", ["女性センター"])], links=MEMBER)
    assert slack.replies is not None
    first = slack.replies.pid
    assert first is not None
    _dead(first)

    slack.dm("U1", "1 B 周知した", event_id="Ev1")  # a new reply process takes it
    slack.dm("U1", "2 A 講座を開いた", event_id="Ev2")

    texts = [c.body["text"] for c in slack.api.of("chat.postMessage")]
    assert len(texts) == 2
    assert texts[0].startswith("・[1] 広報 → B「周知した」") and "保存" in texts[0]
    assert (
        texts[1].startswith("・[2] 啓発 → A「講座を開いた」") and "全2件すべて回答済み" in texts[1]
    )
    assert slack.replies.pid not in (None, first)
    assert slack.replies.handed == 2


def test_replies_waiting_for_a_dead_process_go_to_the_next_one(
    fake_slack: FakeSlackApi,
) -> None:
    process = ReplyProcess(_settings(fake_slack))
    process.start()
    try:
        first = process.pid
        assert first is not None
        os.kill(first, signal.SIGSTOP)  # held up: its pipe fills, the rest waits here
        big = "長い返信" * 6_500  # 78 KB, past a pipe's 64 KB: its writing never ends
        assert process.send({"user": "U1", "channel": "C1", "text": big, "blocks": []})
        for n in range(3):
            assert process.send({"user": "U1", "channel": "C1", "text": f"待ち {n}", "blocks": []})
        _dead(first)
        assert process.send({"user": "U1", "channel": "C1", "text": "次", "blocks": []})
        assert process.pid not in (None, first)
        assert process.wait_idle()
    finally:
        process.stop()
    texts = [c.body["text"] for c in fake_slack.of("chat.postMessage")]
    assert texts == [big, "待ち 0", "待ち 1", "待ち 2", "次"]


def test_a_request_never_waits_for_a_process_held_up_by_slack(
    fake_slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.slack.reply_process.MAX_WAITING", 5)
    process = ReplyProcess(_settings(fake_slack))
    process.start()
    first = process.pid
    assert first is not None
    os.kill(first, signal.SIGSTOP)
    try:
        big = "長い返信" * 6_500  # 78 KB, past a pipe's 64 KB
        began = time.monotonic()
        taken = [
            process.send({"user": "U1", "channel": "C1", "text": big, "blocks": []})
            for _ in range(8)
        ]
        assert time.monotonic() - began < 5  # nothing waited for the pipe
        assert taken.count(True) >= 5 and taken[-1] is False  # the server posts the rest
    finally:
        os.kill(first, signal.SIGCONT)
        process.stop()


def test_stopping_posts_what_the_process_holds_and_then_refuses(
    fake_slack: FakeSlackApi,
) -> None:
    process = ReplyProcess(_settings(fake_slack))
    assert process.send({"user": "U1", "text": "x", "blocks": []}) is False  # not started
    process.start()
    jobs = [
        {"user": "U1", "channel": "C1", "text": f"返信 {n}", "blocks": [], "thread": "1.0"}
        for n in range(30)
    ]
    assert all(process.send(job) for job in jobs)
    for _ in range(2):  # a DM with no channel yet: opened once
        assert process.send({"user": "U7", "text": "DMで", "blocks": []})
    process.stop()

    posted = fake_slack.of("chat.postMessage")
    assert [c.body["text"] for c in posted] == [f"返信 {n}" for n in range(30)] + ["DMで"] * 2
    assert {c.body.get("thread_ts") for c in posted[:30]} == {"1.0"}
    assert [c.body["channel"] for c in posted[30:]] == ["DU7", "DU7"]
    assert [c.body["users"] for c in fake_slack.of("conversations.open")] == ["U7"]
    assert process.pid is None
    assert process.send(jobs[0]) is False


def test_a_reply_slack_refuses_is_logged_and_the_next_one_is_posted(
    fake_slack: FakeSlackApi,
) -> None:
    fake_slack.fail_once("chat.postMessage", error="channel_not_found")
    process = ReplyProcess(_settings(fake_slack))
    process.start()
    try:
        assert process.send({"user": "U1", "channel": "C404", "text": "一", "blocks": []})
        assert process.send({"user": "U1", "channel": "C1", "text": "二", "blocks": []})
        assert process.wait_idle()
    finally:
        process.stop()
    assert [c.body["text"] for c in fake_slack.of("chat.postMessage")] == ["一", "二"]


def test_sqlite_dispatches_one_slack_request_at_a_time(slack_runtime: Runtime) -> None:
    at_once = dispatches_at_once(slack_runtime.settings, slack_runtime)
    if slack_runtime.engine.dialect.name == "sqlite":
        assert at_once == 1
    else:
        assert at_once == slack_runtime.settings.db_pool_size == 10


class _Recorder:
    def __init__(self) -> None:
        self.jobs: list[dict[str, object]] = []

    def post(self, job: dict[str, object]) -> None:
        self.jobs.append(job)


def test_the_reply_process_ends_quietly_when_the_server_is_gone() -> None:
    read, write = os.pipe()
    os.close(read)  # the server died: nobody reads the done-bytes any more
    poster = _Recorder()
    lines = [b'{"user": "U1", "text": "a", "blocks": []}\n'] * 3
    with os.fdopen(write, "wb", buffering=0) as done:
        assert reply_worker.serve(lines, poster, done) == 1  # type: ignore[arg-type]
    assert poster.jobs == [{"user": "U1", "text": "a", "blocks": []}]
