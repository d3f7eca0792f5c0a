"""The real LINE webhook under uvicorn on a free localhost port, against a fake LINE API.

Tests post webhook bodies signed with the channel secret (base64 HMAC-SHA256, as LINE does)
over HTTP and read what the bot sent from the fake API's records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.line.webhook import CALLBACK_PATH
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.organization.identities import create_invite, link_identity
from handlers.reporting.rounds import open_round
from models import ROLE_MEMBER, Plan
from models.db import transaction
from tests.asgi_server import running_asgi
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan, open_test_round
from tests.fakes.line_api import FakeLineApi, running_fake_line_api

CHANNEL_SECRET = "test-channel-secret"
_ids = itertools.count(1)


def sign(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def source(user: str, group: str | None = None) -> dict[str, str]:
    if group is None:
        return {"type": "user", "userId": user}
    return {"type": "group", "groupId": group, "userId": user}


def event(
    kind: str,
    *,
    user: str = "U1",
    group: str | None = None,
    event_id: str | None = None,
    redelivery: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    n = next(_ids)
    body: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1_714_000_000_000 + n,
        "source": source(user, group),
        "webhookEventId": event_id or f"01HWEBHOOK{n:016d}",
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if kind not in {"unfollow", "leave"}:
        body["replyToken"] = f"reply-token-{n}"
    body.update(extra)
    return body


def text_event(text: str, **kw: Any) -> dict[str, Any]:
    n = next(_ids)
    message = {"type": "text", "id": str(n), "text": text, "quoteToken": f"q{n}"}
    return event("message", message=message, **kw)


def postback_event(data: str, **kw: Any) -> dict[str, Any]:
    return event("postback", postback={"data": data}, **kw)


@dataclass
class LineBot:
    url: str
    api: FakeLineApi
    db: Db
    organization_id: int
    round_id: int = 0
    departments: dict[str, int] = field(default_factory=dict)

    def post(self, *events: dict[str, Any], signature: str | None = None) -> httpx.Response:
        body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
        headers = {"Content-Type": "application/json"}
        headers["X-Line-Signature"] = signature if signature is not None else sign(body)
        return httpx.post(self.url + CALLBACK_PATH, content=body, headers=headers, timeout=30)

    def send(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        """Post events that each get a reply; return the messages of the last reply."""
        before = len(self.api.replies)
        response = self.post(*events)
        assert response.status_code == 200, response.text
        replies = self.api.wait_for(before + len(events), path="/v2/bot/message/reply")
        return replies[-1].messages

    def say(self, text: str, **kw: Any) -> str:
        messages = self.send(text_event(text, **kw))
        return messages[0]["text"]

    def invite(self, department: str, role: str = ROLE_MEMBER) -> str:
        with transaction(self.db.factory) as session:
            dept = find_department(session, organization_id=self.organization_id, name=department)
            return create_invite(session, department=dept, role=role).code

    def link(
        self, external_id: str, department: str, *, kind: str = "user", role: str = ROLE_MEMBER
    ) -> None:
        with transaction(self.db.factory) as session:
            dept = find_department(session, organization_id=self.organization_id, name=department)
            link_identity(
                session,
                department=dept,
                platform="line",
                external_id=external_id,
                kind=kind,
                role=role,
            )


@pytest.fixture
def line_api() -> Iterator[FakeLineApi]:
    with running_fake_line_api() as api:
        yield api


@pytest.fixture
def line_settings(db: Db, line_api: FakeLineApi) -> Settings:
    return Settings(
        database_url=db.url,
        line_channel_secret=SecretStr(CHANNEL_SECRET),
        line_channel_access_token=SecretStr("test-access-token"),
        line_api_url=line_api.url,
    )


@pytest.fixture
def line_bot(db: Db, line_api: FakeLineApi, line_settings: Settings) -> Iterator[LineBot]:
    """The webhook app with a small plan: items 1–2 女性センター (1 also 秘書広報課), 3 職員課."""
    with transaction(db.factory) as session:
        plan = build_plan(
            session,
            items=SMALL_PLAN,
        )
        round_id = open_test_round(session, plan).id
        org_id = get_or_create_organization(session, name="default").id
    runtime = Runtime(
        settings=line_settings, engine=db.engine, factory=db.factory, organization_id=org_id
    )
    app = build_app(line_settings, runtime)  # the real `hokoku serve` app, LINE-only
    with running_asgi(app) as url:
        yield LineBot(url=url, api=line_api, db=db, organization_id=org_id, round_id=round_id)


def open_previous_round(bot: LineBot, session_plan_name: str = "テスト計画") -> int:
    """Last year's round (FY2022) of the same plan, for 前年 grades and comments."""
    from sqlalchemy import select

    with transaction(bot.db.factory) as session:
        plan = session.scalar(select(Plan).where(Plan.name == session_plan_name))
        assert plan is not None
        return open_round(
            session,
            plan=plan,
            fiscal_year=2022,
            deadline=date(2023, 5, 31),
            opens_on=date(2023, 4, 1),
        ).id
