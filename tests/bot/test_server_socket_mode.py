"""Slack over Socket Mode, end to end: the real app under uvicorn, bolt's built-in websocket
client, a local websocket server in Slack's place (tests/fakes/slack_socket.py) and the fake
Web API whose `apps.connections.open` hands out that server's ws:// URL.

Nothing inside bolt or slack_sdk is replaced: the app connects exactly as in production,
only to 127.0.0.1 (slack_sdk's built-in client uses a plain socket on a port other than 443).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.server import build_app, configure_platforms, socket_mode_wanted
from bot.settings import Settings
from bot.slack import ids
from handlers.organization.directory import get_or_create_organization
from models import ReportRevision
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.bot.slack.harness import SIGNING_SECRET, Seeded, TrackingExecutor, seed
from tests.bot.slack.listeners.test_events import graded
from tests.bot.slack.listeners.test_views import state
from tests.conftest import Db
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSocketModeServer
from tests.private_postgres import private_db

APP_TOKEN = "xapp-1-A0TEST-socket"
BOT_TOKEN = "xoxb-socket"


@pytest.fixture
def socket_server() -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer().start()
    yield server
    server.stop()


@pytest.fixture
def slack_env(
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlackApi,
    socket_server: FakeSocketModeServer,
) -> dict[str, str]:
    """The environment of an office that runs `hokoku serve` without a public URL."""
    fake_slack.socket_url = socket_server.url
    env = {
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@dataclass
class Live:
    api: FakeSlackApi
    server: FakeSocketModeServer
    executor: TrackingExecutor

    def deliver(self, kind: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
        """Push one envelope, wait for its ack and for the listeners bolt ran after it."""
        envelope_id = self.server.send(kind, payload, **kw)
        ack = self.server.wait_ack(envelope_id)
        self.executor.drain()
        return ack


@contextmanager
def serving(db: Db, slack_env: dict[str, str], live_parts: tuple[Any, ...]) -> Iterator[Live]:
    """What `hokoku serve --socket-mode` starts: configure_platforms + build_app under uvicorn."""
    api, server = live_parts
    settings = Settings(database_url=db.url)  # the Slack settings come from the environment
    assert settings.slack_app_token is not None
    assert settings.slack_app_token.get_secret_value() == slack_env["SLACK_APP_TOKEN"]
    with transaction(db.factory) as session:
        org_id = get_or_create_organization(session, name=settings.organization).id
    runtime = Runtime(
        settings=settings, engine=db.engine, factory=db.factory, organization_id=org_id
    )
    executor = TrackingExecutor()
    platforms = configure_platforms(settings, runtime, socket_mode=True, slack_executor=executor)
    assert platforms.names == ["slack (socket mode)"] and platforms.routes == []
    try:
        with running_asgi(build_app(settings, runtime, platforms=platforms)):
            server.wait_connected()
            yield Live(api, server, executor)
    finally:
        executor.shutdown(wait=True)


def event_callback(event: dict[str, Any], *, event_id: str) -> dict[str, Any]:
    return {
        "token": "x",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
    }


def dm(user: str, text: str, *, event_id: str) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": "1700000100.000100",
    }
    return event_callback(event, event_id=event_id)


def slash(api: FakeSlackApi, user: str, text: str) -> dict[str, Any]:
    """A slash command as Socket Mode carries it: the form fields as a JSON object."""
    return {
        "token": "x",
        "team_id": "T0TEST",
        "team_domain": "hokoku-test",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/hokoku",
        "text": text,
        "api_app_id": "A0TEST",
        "is_enterprise_install": "false",
        "response_url": api.url.removesuffix("/api/") + "/response/socket",
        "trigger_id": f"trig-{time.time_ns()}",
    }


def report_click(user: str, data: Seeded, department: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "x",
        "user": {"id": user},
        "trigger_id": "trig-click-1",
        "channel": {"id": f"D{user}"},
        "container": {"type": "message", "message_ts": "1700000000.000001"},
        "message": {"ts": "1700000000.000001"},
        "actions": [
            {
                "action_id": ids.ACTION_OPEN_REPORT,
                "block_id": "b",
                "value": data.button(department),
                "type": "button",
            }
        ],
    }


def revisions(db: Db) -> int:
    with transaction(db.factory) as session:
        return session.scalar(select(func.count()).select_from(ReportRevision)) or 0


def test_socket_mode_wanted_by_flag_or_app_token(db: Db) -> None:
    from pydantic import SecretStr

    plain = Settings(database_url=db.url, slack_app_token=None)
    with_token = Settings(database_url=db.url, slack_app_token=SecretStr(APP_TOKEN))
    assert socket_mode_wanted(plain, requested=False) is False
    assert socket_mode_wanted(plain, requested=True) is True
    assert socket_mode_wanted(with_token, requested=False) is True


def test_events_commands_and_actions_over_socket_mode(
    db: Db,
    slack_env: dict[str, str],
    fake_slack: FakeSlackApi,
    socket_server: FakeSocketModeServer,
) -> None:
    data = seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    with serving(db, slack_env, (fake_slack, socket_server)) as live:
        # The websocket URL was asked for with the app-level token, not the bot token.
        [opened] = fake_slack.of("apps.connections.open")
        assert opened.authorization == f"Bearer {APP_TOKEN}"
        assert socket_server.paths[0].startswith("/link")

        # A DM answer: acked with its envelope_id (events carry no response payload) ...
        message = dm("U1", "1 B 周知した", event_id="EvSock1")
        first = socket_server.send("events_api", message)
        assert socket_server.wait_ack(first) == {"envelope_id": first}
        live.executor.drain()
        [reply] = fake_slack.wait_for("chat.postMessage")
        assert reply.body["channel"] == "DU1"
        assert reply.authorization == f"Bearer {BOT_TOKEN}"
        assert "保存" in reply.body["text"] and "全1件すべて回答済み" in reply.body["text"]
        assert graded(db) == 1 and revisions(db) == 1

        # ... and Slack's redelivery of the same event (a late ack) stores and posts nothing.
        again = live.deliver("events_api", message, retry_attempt=1, retry_reason="timeout")
        assert again["envelope_id"] != first
        assert len(fake_slack.of("chat.postMessage")) == 1
        assert graded(db) == 1 and revisions(db) == 1

        # `/hokoku status`: the ephemeral answer travels in the ack's payload.
        status = live.deliver("slash_commands", slash(fake_slack, "U1", "status"))
        payload = status["payload"]
        assert payload["response_type"] == "ephemeral"
        assert "【女性センター】" in payload["text"] and "回答 1/1件" in payload["text"]
        assert fake_slack.of("response_url") == [] and fake_slack.of("chat.postEphemeral") == []

        # The "報告する" button: acked empty, then the modal opens with the click's trigger.
        click = live.deliver("interactive", report_click("U1", data, "女性センター"))
        assert set(click) == {"envelope_id"}
        [modal] = fake_slack.wait_for("views.open")
        assert modal.body["trigger_id"] == "trig-click-1"
        assert modal.json_field("view")["callback_id"] == ids.CALLBACK_ANSWER

        # The modal's submit with a bad grade: `response_action: errors` is the ack's payload.
        view = {**modal.json_field("view"), "id": "V_SOCKET", "hash": "h0"}
        submission = {
            "type": "view_submission",
            "team": {"id": "T0TEST"},
            "api_app_id": "A0TEST",
            "user": {"id": "U1"},
            "view": {**view, "state": {"values": state({1: ("Z", "?")})}},
        }
        refused = live.deliver("interactive", submission)
        assert refused["payload"]["response_action"] == "errors"
        assert "A／B／C／D" in refused["payload"]["errors"]["grade_1"]
        assert revisions(db) == 1

        # Every envelope acked exactly once; hello got no ack.
        sent = [a["envelope_id"] for a in socket_server.acks]
        assert len(sent) == 5 and len(set(sent)) == 5
        assert socket_server.closed == 0
    # Shutting the app down (uvicorn's lifespan) closes the websocket, without reconnecting.
    socket_server.wait_closed()
    assert not socket_server.connected
    assert len(fake_slack.of("apps.connections.open")) == 1


def test_disconnect_message_makes_the_client_reconnect(
    db: Db,
    slack_env: dict[str, str],
    fake_slack: FakeSlackApi,
    socket_server: FakeSocketModeServer,
) -> None:
    """Slack sends `disconnect` (refresh_requested) before it recycles a connection."""
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    with serving(db, slack_env, (fake_slack, socket_server)) as live:
        socket_server.send_raw({"type": "disconnect", "reason": "refresh_requested"})
        socket_server.wait_connected(2)
        assert len(fake_slack.of("apps.connections.open")) == 2
        ack = live.deliver("slash_commands", slash(fake_slack, "U1", "help"))
        assert "/hokoku 報告 / report" in ack["payload"]["text"]
    socket_server.wait_closed(2)
    assert not socket_server.connected


def test_hokoku_serve_picks_socket_mode_when_app_token_is_set(
    db: Db,
    slack_env: dict[str, str],
    fake_slack: FakeSlackApi,
    socket_server: FakeSocketModeServer,
    tmp_path: Path,
) -> None:
    """The real `hokoku serve` process, no --socket-mode flag: SLACK_APP_TOKEN decides."""
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LINE_", "HOKOKU_", "SLACK_"))
    }
    env.update(slack_env)
    env["HOKOKU_DATABASE_URL"] = db.url
    hokoku = Path(sys.executable).parent / "hokoku"
    proc = subprocess.Popen(
        [str(hokoku), "serve", "--port", "0", "--host", "127.0.0.1", "--no-scheduler"],
        cwd=tmp_path,  # no developer .env
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        socket_server.wait_connected()
        ack = socket_server.wait_ack(
            socket_server.send("slash_commands", slash(fake_slack, "U1", "status"))
        )
        assert "回答 0/1件" in ack["payload"]["text"]
    finally:
        proc.send_signal(signal.SIGTERM)  # what a service manager sends; uvicorn shuts down
        output, _ = proc.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught (exit status -15).
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "hokoku serve: slack (socket mode)" in output
    assert "Application shutdown complete" in output and "Traceback" not in output
    socket_server.wait_closed()


def test_an_envelope_is_not_acked_while_the_database_is_down(
    slack_env: dict[str, str], fake_slack: FakeSlackApi, socket_server: FakeSocketModeServer
) -> None:
    """Socket Mode acks only committed answers: with the database stopped, the envelope gets
    no ack (Slack re-sends it); the re-sent envelope is acked and stored once."""
    with private_db() as (cluster, db):
        seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
        with serving(db, slack_env, (fake_slack, socket_server)) as live:
            message = dm("U1", "1 B 停止中に送った", event_id="EvDown1")
            cluster.stop()
            unacked = socket_server.send("events_api", message)
            live.executor.drain()
            time.sleep(1.0)  # the listener ran and failed; an ack would have arrived by now
            assert socket_server.acks_of(unacked) == []
            cluster.start()
            again = socket_server.send(
                "events_api", message, retry_attempt=1, retry_reason="timeout"
            )
            assert socket_server.wait_ack(again) == {"envelope_id": again}
            live.executor.drain()
            assert revisions(db) == 1


def test_every_envelope_is_acked_also_those_no_listener_handles(
    db: Db,
    slack_env: dict[str, str],
    fake_slack: FakeSlackApi,
    socket_server: FakeSocketModeServer,
) -> None:
    """A global shortcut, a message shortcut, someone else's button and an event the app
    does not subscribe to: each is acked (else Slack re-sends it and flags the app)."""
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    base = {"team": {"id": "T0TEST", "domain": "hokoku-test"}, "api_app_id": "A0TEST"}
    user = {"id": "U1", "username": "u1", "team_id": "T0TEST"}
    # Shapes: https://docs.slack.dev/reference/interaction-payloads/shortcuts-interaction-payload
    # and …/block_actions-payload (another app's button in a shared message).
    shortcut = {
        **base,
        "type": "shortcut",
        "token": "x",
        "action_ts": "1700000100.000100",
        "user": user,
        "callback_id": "someone_elses_shortcut",
        "trigger_id": "trig-shortcut",
    }
    message_action = {
        **shortcut,
        "type": "message_action",
        "channel": {"id": "C0GENERAL", "name": "general"},
        "message_ts": "1700000000.000100",
        "message": {"type": "message", "user": "U1", "ts": "1700000000.000100", "text": "x"},
        "response_url": fake_slack.url.removesuffix("/api/") + "/response/shortcut",
    }
    foreign_button = {
        **base,
        "type": "block_actions",
        "user": user,
        "trigger_id": "trig-foreign",
        "container": {"type": "message", "message_ts": "1700000000.000100"},
        "channel": {"id": "C0GENERAL"},
        "actions": [{"action_id": "poll_vote", "block_id": "b", "value": "1", "type": "button"}],
    }
    reaction = event_callback(
        {"type": "reaction_added", "user": "U1", "reaction": "thumbsup", "item_user": "U1"},
        event_id="EvReaction1",
    )
    with serving(db, slack_env, (fake_slack, socket_server)) as live:
        for kind, payload in (
            ("interactive", shortcut),
            ("interactive", message_action),
            ("interactive", foreign_button),
            ("events_api", reaction),
        ):
            ack = live.deliver(kind, payload)
            assert set(ack) == {"envelope_id"}
        assert revisions(db) == 0
        assert socket_server.closed == 0
