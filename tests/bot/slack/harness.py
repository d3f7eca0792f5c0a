"""The real Starlette + bolt app under uvicorn on a free port, against a fake Slack Web API.

Requests are signed exactly as Slack signs them (v0 HMAC of `v0:{timestamp}:{body}`).
Listeners run after the ack on bolt's executor; `SlackHarness.settle()` waits for them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bot.runtime import Runtime
from bot.server import Platforms, build_app, configure_platforms
from bot.settings import Settings
from bot.slack.reply_process import ReplyProcess
from handlers.organization.directory import get_or_create_organization
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.conftest import Db
from tests.fakes.slack_api import FakeSlackApi

SIGNING_SECRET = "test-signing-secret"


class TrackingExecutor(ThreadPoolExecutor):
    """bolt's listener executor (a public App option) that can be waited on in tests."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)
        self.futures: list[Future[Any]] = []
        self._guard = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._guard:
            self.futures.append(future)
        return future

    def drain(self, timeout: float = 30.0) -> None:
        while True:
            with self._guard:
                pending = [f for f in self.futures if not f.done()]
            if not pending:
                return
            for f in pending:
                f.result(timeout=timeout)


class SlackHarness:
    def __init__(
        self, base_url: str, api: FakeSlackApi, executor: TrackingExecutor, platforms: Platforms
    ) -> None:
        self.base_url = base_url
        self.api = api
        self.executor = executor
        # The server's reply process, when it runs one: `settle` waits for it too.
        self.replies = reply_process_of(platforms)
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def post(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        retry_num: int | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        response = self.http.post("/slack/events", content=body.encode(), headers=headers)
        self.settle()
        return response

    def settle(self) -> None:
        self.executor.drain()
        if self.replies is not None:
            assert self.replies.wait_idle(), "the reply process did not post what it was given"

    def event(self, event: dict[str, Any], *, event_id: str, **kw: Any) -> httpx.Response:
        body = json.dumps(
            {
                "token": "x",
                "team_id": "T0TEST",
                "api_app_id": "A0TEST",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return self.post(body, content_type="application/json", **kw)

    def dm(self, user: str, text: str, *, event_id: str, **kw: Any) -> httpx.Response:
        return self.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": text,
                "ts": f"{time.time():.6f}",
            },
            event_id=event_id,
            **kw,
        )

    def command(
        self, user: str, text: str, *, channel: str = "C0GENERAL", **kw: Any
    ) -> httpx.Response:
        body = urlencode(
            {
                "token": "x",
                "team_id": "T0TEST",
                "channel_id": channel,
                "user_id": user,
                "command": "/hokoku",
                "text": text,
                "api_app_id": "A0TEST",
                "response_url": self.api.url.removesuffix("/api/") + "/response/1",
                "trigger_id": f"trig-{time.time_ns()}",
            }
        )
        return self.post(body, content_type="application/x-www-form-urlencoded", **kw)

    def interaction(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        payload = {"team": {"id": "T0TEST"}, "api_app_id": "A0TEST", "token": "x", **payload}
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, content_type="application/x-www-form-urlencoded", **kw)

    def click(
        self, user: str, action_id: str, value: str, *, view: dict[str, Any] | None = None
    ) -> httpx.Response:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": f"trig-{time.time_ns()}",
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value, "type": "button"}
            ],
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view["id"]}
        else:
            payload["channel"] = {"id": f"D{user}"}
            payload["container"] = {"type": "message", "message_ts": "1700000000.000001"}
            payload["message"] = {"ts": "1700000000.000001"}
        return self.interaction(payload)

    def submit(
        self, user: str, view: dict[str, Any], values: dict[str, Any], **kw: Any
    ) -> httpx.Response:
        submitted = {**view, "state": {"values": values}}
        return self.interaction(
            {"type": "view_submission", "user": {"id": user}, "view": submitted}, **kw
        )


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    api = FakeSlackApi().start()
    yield api
    api.stop()
    api.assert_within_limits()


@pytest.fixture
def slack_runtime(db: Db, fake_slack: FakeSlackApi) -> Runtime:
    settings = Settings(
        database_url=db.url,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=fake_slack.url,
    )
    with transaction(db.factory) as session:
        org_id = get_or_create_organization(session, name=settings.organization).id
    return Runtime(settings=settings, engine=db.engine, factory=db.factory, organization_id=org_id)


def reply_process_of(platforms: Platforms) -> ReplyProcess | None:
    """The server's reply process (HOKOKU_SLACK_REPLY_PROCESS), for `settle` to wait on."""
    return next((s for s in platforms.services if isinstance(s, ReplyProcess)), None)


@pytest.fixture
def slack(slack_runtime: Runtime, fake_slack: FakeSlackApi) -> Iterator[SlackHarness]:
    executor = TrackingExecutor()
    platforms = configure_platforms(slack_runtime.settings, slack_runtime, slack_executor=executor)
    asgi = build_app(slack_runtime.settings, slack_runtime, platforms=platforms)
    with running_asgi(asgi) as url:
        harness = SlackHarness(url, fake_slack, executor, platforms)
        fake_slack.reset()  # forget auth.test from start-up
        try:
            yield harness
        finally:
            harness.http.close()
    executor.shutdown(wait=True)


class Seeded:
    def __init__(self, round_id: int, departments: dict[str, int]) -> None:
        self.round_id = round_id
        self.departments = departments

    def button(self, department: str) -> str:
        return json.dumps({"r": self.round_id, "d": self.departments[department]})


def seed(
    db: Db,
    *,
    items: list[tuple[str, list[str]]],
    links: dict[str, list[tuple[str, str]]],
) -> Seeded:
    """A plan and open round, with Slack ids linked: {"U1": [("女性センター", "member")]}."""
    from sqlalchemy import select

    from handlers.organization.directory import get_or_create_department
    from handlers.organization.identities import link_identity
    from models import Department
    from tests.factories import build_plan, open_test_round

    with transaction(db.factory) as session:
        plan = build_plan(session, items=items)
        info = open_test_round(session, plan)
        for pairs in links.values():
            for name, _role in pairs:
                get_or_create_department(session, organization_id=plan.organization_id, name=name)
        departments = {d.name: d.id for d in session.scalars(select(Department))}
        for user, pairs in links.items():
            for name, role in pairs:
                link_identity(
                    session,
                    department=session.get_one(Department, departments[name]),
                    platform="slack",
                    external_id=user,
                    kind="channel" if user.startswith("C") else "user",
                    role=role,
                )
    return Seeded(info.id, departments)
