"""Platform deliveries as raw signed requests, so the same delivery can be sent again.

Slack retries an event with the same `event_id` (and `X-Slack-Retry-Num`) when it got no
2xx; LINE redelivers with the same `webhookEventId` (`deliveryContext.isRedelivery`). The
tests build each delivery once and replay it the way the platform would, against the real
server over HTTP, then check what was stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bot.settings import Settings
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.organization.identities import link_identity
from models import ReportRevision
from models.db import transaction
from tests.conftest import Db
from tests.factories import build_plan, open_test_round

SLACK_SECRET = "intake-slack-secret"
LINE_SECRET = "intake-line-secret"
SLACK_PATH = "/slack/events"
LINE_PATH = "/line/callback"


@dataclass(frozen=True)
class Delivery:
    """One request a platform sends, re-signed each time it is sent (as the platform does)."""

    platform: str
    payload: dict[str, Any]
    comment: str = ""  # the answer's unique comment, to find it in report_revisions
    retry: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    def again(self) -> Delivery:
        """The platform's next attempt at this same delivery."""
        if self.platform == "line":
            payload = json.loads(json.dumps(self.payload))
            for event in payload["events"]:
                event["deliveryContext"] = {"isRedelivery": True}
            return replace(self, payload=payload, retry=self.retry + 1)
        return replace(self, retry=self.retry + 1)

    def request(self) -> tuple[str, bytes, dict[str, str]]:
        body = json.dumps(self.payload, ensure_ascii=False).encode()
        if self.platform == "line":
            digest = hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()
            headers = {
                "Content-Type": "application/json",
                "X-Line-Signature": base64.b64encode(digest).decode(),
            }
            return LINE_PATH, body, {**headers, **self.headers}
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": SignatureVerifier(SLACK_SECRET).generate_signature(
                timestamp=timestamp, body=body.decode()
            )
            or "",
        }
        if self.retry:
            headers["X-Slack-Retry-Num"] = str(self.retry)
            headers["X-Slack-Retry-Reason"] = "http_error"
        return SLACK_PATH, body, {**headers, **self.headers}

    def send(self, http: httpx.Client) -> httpx.Response:
        path, body, headers = self.request()
        return http.post(path, content=body, headers=headers)


def slack_dm(user: str, text: str, *, event_id: str, comment: str = "") -> Delivery:
    payload = {
        "token": "x",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{user}",
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
        },
    }
    return Delivery("slack", payload, comment)


def line_text(user: str, text: str, *, event_id: str, comment: str = "") -> Delivery:
    payload = {
        "destination": "Ubot",
        "events": [
            {
                "type": "message",
                "mode": "active",
                "timestamp": int(time.time() * 1000),
                "source": {"type": "user", "userId": user},
                "webhookEventId": event_id,
                "deliveryContext": {"isRedelivery": False},
                "replyToken": f"rt-{event_id}",
                "message": {"type": "text", "id": event_id[-12:], "text": text, "quoteToken": "q"},
            }
        ],
    }
    return Delivery("line", payload, comment)


def both_platforms(db: Db, *, slack_api_url: str, line_api_url: str) -> Settings:
    """Settings with Slack (Events API over HTTP) and LINE both switched on."""
    return Settings(
        database_url=db.url,
        slack_bot_token=SecretStr("xoxb-intake"),
        slack_signing_secret=SecretStr(SLACK_SECRET),
        slack_api_url=slack_api_url,
        line_channel_secret=SecretStr(LINE_SECRET),
        line_channel_access_token=SecretStr("line-intake-token"),
        line_api_url=line_api_url,
    )


@dataclass(frozen=True)
class Office:
    """A small plan with an open round; Slack users S1…, LINE users L1… linked as members."""

    organization_id: int
    round_id: int
    items: int
    departments: tuple[str, ...]
    slack_users: dict[str, str]  # user id → department
    line_users: dict[str, str]


def seed_office(
    db: Db, *, departments: int = 4, items_each: int = 5, people_each: int = 2
) -> Office:
    names = tuple(f"課{d}" for d in range(1, departments + 1))
    items = [(f"取組{d}-{i}", [names[d]]) for d in range(departments) for i in range(items_each)]
    slack_users: dict[str, str] = {}
    line_users: dict[str, str] = {}
    with transaction(db.factory) as session:
        plan = build_plan(session, items=items)
        info = open_test_round(session, plan)
        org = get_or_create_organization(session, name="default").id
        for d, name in enumerate(names):
            department = find_department(session, organization_id=org, name=name)
            for p in range(people_each):
                for platform, users, prefix in (
                    ("slack", slack_users, "S"),
                    ("line", line_users, "L"),
                ):
                    user = f"{prefix}{d}X{p}"
                    users[user] = name
                    link_identity(
                        session, department=department, platform=platform, external_id=user
                    )
    return Office(org, info.id, len(items), names, slack_users, line_users)


def item_numbers_of(office: Office, department: str) -> list[int]:
    d = office.departments.index(department)
    per = office.items // len(office.departments)
    return list(range(d * per + 1, d * per + per + 1))


def stored_comments(db: Db) -> list[str]:
    """Every comment of every stored revision (duplicates included, to count them)."""
    with transaction(db.factory) as session:
        return list(session.scalars(select(ReportRevision.comment)))


def answers_for(office: Office, count: int) -> Iterator[Delivery]:
    """`count` distinct answers spread over both platforms, every person, every item."""
    people = [("slack", u, d) for u, d in office.slack_users.items()] + [
        ("line", u, d) for u, d in office.line_users.items()
    ]
    for n in range(count):
        platform, user, department = people[n % len(people)]
        numbers = item_numbers_of(office, department)
        item = numbers[(n // len(people)) % len(numbers)]
        comment = f"answer-{n:05d}"
        text = f"{item} {'ABCD'[n % 4]} {comment}"
        if platform == "slack":
            yield slack_dm(user, text, event_id=f"Ev{n:08d}", comment=comment)
        else:
            yield line_text(user, text, event_id=f"01LINEEVENT{n:015d}", comment=comment)
