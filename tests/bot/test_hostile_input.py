"""No input gets a 500: generated, malformed, oversized and hostile requests against the
real server (Slack and LINE on one app), on SQLite and PostgreSQL.

Hypothesis generates signed payloads whose fields are sometimes right and sometimes of any
JSON type; every answer must be below 500, nothing may be logged at ERROR, nothing is stored
from a request that was refused, and `/healthz` stays 200 throughout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime
from bot.server import build_app
from tests.asgi_server import running_asgi
from tests.bot.deliveries import (
    LINE_PATH,
    LINE_SECRET,
    SLACK_PATH,
    SLACK_SECRET,
    Office,
    both_platforms,
    seed_office,
    stored_comments,
)
from tests.conftest import Db
from tests.fakes.line_api import FakeLineApi
from tests.fakes.slack_api import FakeSlackApi

EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never flakes on a new one
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Server:
    def __init__(self, url: str, office: Office) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        self.office = office

    def slack(
        self, body: bytes, *, content_type: str, headers: dict[str, str] | None = None
    ) -> int:
        timestamp = str(int(time.time()))
        # Slack signs the raw bytes (v0 HMAC-SHA256 of `v0:{timestamp}:{body}`).
        digest = hmac.new(
            SLACK_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
        )
        base = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": f"v0={digest.hexdigest()}",
        }
        response = self.http.post(SLACK_PATH, content=body, headers={**base, **(headers or {})})
        return response.status_code

    def line(self, body: bytes, *, headers: dict[str, str] | None = None) -> int:
        digest = hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()
        base = {
            "Content-Type": "application/json",
            "X-Line-Signature": base64.b64encode(digest).decode(),
        }
        response = self.http.post(LINE_PATH, content=body, headers={**base, **(headers or {})})
        return response.status_code

    def healthy(self) -> bool:
        return self.http.get("/healthz").status_code == 200


@pytest.fixture
def server(
    db: Db, fake_slack: FakeSlackApi, line_api: FakeLineApi, caplog: pytest.LogCaptureFixture
) -> Iterator[Server]:
    office = seed_office(db, departments=2, items_each=3, people_each=1)
    config = both_platforms(db, slack_api_url=fake_slack.url, line_api_url=line_api.url)
    config = config.model_copy(update={"max_body_bytes": 128 * 1024})
    runtime = Runtime(
        settings=config,
        engine=db.engine,
        factory=db.factory,
        organization_id=office.organization_id,
    )
    with running_asgi(build_app(config, runtime)) as url:
        serving = Server(url, office)
        caplog.set_level(logging.WARNING)
        yield serving
        assert serving.healthy()
        serving.http.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


# --- generated payloads -------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


def sometimes(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The right kind of value most of the time, any JSON value otherwise."""
    return st.one_of(valid, valid, json_values)


answer_texts = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda n, g, c: f"{n} {g} {c}",
        st.integers(min_value=-5, max_value=2**70),
        st.sampled_from(["A", "b", "Ｃ", "Z", "達成", ""]),
        st.text(max_size=80),
    ),
    st.sampled_from(["状況", "未回答", "ヘルプ", "link ABCD2345", "link", "1 B 正しい\x00NUL", ""]),
)
slack_users = st.sampled_from(["S0X0", "S1X0", "UNKNOWN", ""])

slack_files = st.lists(
    st.fixed_dictionaries(
        {"name": sometimes(st.text(max_size=20)), "title": sometimes(st.text(max_size=20))}
    ),
    max_size=2,
)
slack_messages = st.fixed_dictionaries(
    {
        "user": sometimes(slack_users),
        "text": sometimes(answer_texts),
        "ts": sometimes(st.just("1700000000.000100")),
    },
    optional={
        "subtype": sometimes(st.sampled_from(["tombstone", "file_share"])),
        "files": sometimes(slack_files),
        "thread_ts": json_values,
        "bot_id": json_values,
    },
)

slack_events = st.fixed_dictionaries(
    {
        "type": sometimes(st.just("event_callback")),
        "event_id": sometimes(st.text(min_size=1, max_size=20)),
        "team_id": sometimes(st.just("T0TEST")),
        "event": sometimes(
            st.fixed_dictionaries(
                {
                    "type": sometimes(
                        st.sampled_from(["message", "app_mention", "app_home_opened"])
                    ),
                    "channel_type": sometimes(st.sampled_from(["im", "channel"])),
                    "channel": sometimes(st.sampled_from(["DS0X0", "C0CHAN"])),
                    "user": sometimes(slack_users),
                    "text": sometimes(answer_texts),
                    "ts": sometimes(st.just("1700000000.000100")),
                    "tab": sometimes(st.sampled_from(["home", "messages"])),
                },
                optional={
                    "subtype": sometimes(
                        st.sampled_from(
                            [
                                "file_share",
                                "thread_broadcast",
                                "message_changed",
                                "message_deleted",
                                "channel_join",
                            ]
                        )
                    ),
                    "bot_id": json_values,
                    "thread_ts": json_values,
                    "deleted_ts": sometimes(st.just("1700000000.000100")),
                    "files": sometimes(slack_files),
                    "message": sometimes(slack_messages),
                    "previous_message": sometimes(slack_messages),
                },
            )
        ),
    }
)

# Every interactive payload type Slack sends (https://docs.slack.dev/reference/interaction-payloads/):
# the app handles block_actions and view_submission; the others must still get a 2xx or 4xx.
INTERACTIVE_TYPES = [
    "block_actions",
    "view_submission",
    "shortcut",
    "message_action",
    "block_suggestion",
    "view_closed",
    "interactive_message",
    "dialog_submission",
]
slack_ids = st.one_of(st.sampled_from(["hokoku_answer", "hokoku_open_report", "x"]), json_values)

slack_interactions = st.fixed_dictionaries(
    {
        "type": sometimes(st.sampled_from(INTERACTIVE_TYPES)),
        "user": sometimes(st.fixed_dictionaries({"id": sometimes(slack_users)})),
        "team": sometimes(st.fixed_dictionaries({"id": st.just("T0TEST")})),
        "trigger_id": sometimes(st.text(max_size=10)),
        "actions": sometimes(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "action_id": sometimes(
                            st.sampled_from(
                                [
                                    "hokoku_open_report",
                                    "hokoku_page_back",
                                    "hokoku_choose_department_1",
                                ]
                            )
                        ),
                        "value": sometimes(
                            st.one_of(
                                st.just('{"r": 1, "d": 1}'),
                                st.builds(
                                    lambda r, d: json.dumps({"r": r, "d": d}),
                                    json_values,
                                    json_values,
                                ),
                                st.text(max_size=20),
                            )
                        ),
                    }
                ),
                max_size=2,
            )
        ),
        "view": sometimes(
            st.fixed_dictionaries(
                {
                    "id": sometimes(st.text(max_size=10)),
                    "callback_id": sometimes(st.just("hokoku_answer")),
                    "private_metadata": sometimes(
                        st.one_of(
                            st.just('{"r": 1, "d": 1, "p": 0}'),
                            st.builds(lambda v: json.dumps(v), json_values),
                            st.text(max_size=20),
                        )
                    ),
                    "state": sometimes(
                        st.fixed_dictionaries(
                            {
                                "values": sometimes(
                                    st.dictionaries(
                                        st.sampled_from(
                                            ["grade_1", "comment_1", "grade_99999999999", "x"]
                                        ),
                                        json_values,
                                        max_size=3,
                                    )
                                )
                            }
                        )
                    ),
                }
            )
        ),
    },
    optional={
        "callback_id": sometimes(slack_ids),
        "action_ts": sometimes(st.just("1700000000.000100")),
        "message_ts": sometimes(st.just("1700000000.000100")),
        "action_id": sometimes(slack_ids),
        "block_id": sometimes(slack_ids),
        "value": sometimes(st.text(max_size=20)),
        "is_cleared": sometimes(st.booleans()),
        "attachment_id": sometimes(st.just("1")),
        "response_url": sometimes(st.just("https://hooks.slack.com/actions/T0/1/x")),
        "channel": sometimes(
            st.fixed_dictionaries({"id": sometimes(st.just("C0CHAN")), "name": json_values})
        ),
        "container": sometimes(
            st.fixed_dictionaries(
                {"type": sometimes(st.sampled_from(["message", "view"])), "view_id": json_values}
            )
        ),
        "message": sometimes(
            st.fixed_dictionaries(
                {"ts": sometimes(st.just("1.0")), "text": json_values, "user": json_values}
            )
        ),
        "original_message": json_values,
        "submission": sometimes(st.dictionaries(st.text(max_size=8), json_values, max_size=3)),
        "state": json_values,
        "enterprise": json_values,
        "is_enterprise_install": json_values,
    },
)

slash_commands = st.fixed_dictionaries(
    {
        "command": st.just("/hokoku"),
        "user_id": slack_users,
        "channel_id": st.sampled_from(["C0CHAN", ""]),
        "text": answer_texts,
        "trigger_id": st.text(max_size=10),
        "team_id": st.just("T0TEST"),
    }
)

line_spans = st.fixed_dictionaries(
    {
        "index": sometimes(st.integers(min_value=-3, max_value=300)),
        "length": sometimes(st.integers(min_value=-3, max_value=300)),
        "productId": st.just("5ac1bfd5040ab15980c9b435"),
        "emojiId": st.just("001"),
    }
)
line_mentionees = st.fixed_dictionaries(
    {
        "index": sometimes(st.integers(min_value=-3, max_value=300)),
        "length": sometimes(st.integers(min_value=-3, max_value=300)),
        "type": sometimes(st.sampled_from(["user", "all"])),
    },
    optional={"userId": sometimes(st.just("Ubot")), "isSelf": sometimes(st.booleans())},
)

line_events = st.lists(
    st.fixed_dictionaries(
        {
            "type": sometimes(
                st.sampled_from(
                    [
                        "message",
                        "postback",
                        "follow",
                        "unfollow",
                        "join",
                        "leave",
                        "messageEdited",
                        "unsend",
                        "beacon",
                    ]
                )
            ),
            "mode": sometimes(st.sampled_from(["active", "standby"])),
            "timestamp": sometimes(st.integers(min_value=0, max_value=2**45)),
            "source": sometimes(
                st.fixed_dictionaries(
                    {
                        "type": sometimes(st.sampled_from(["user", "group"])),
                        "userId": sometimes(st.sampled_from(["L0X0", "L1X0", "UNKNOWN"])),
                        "groupId": sometimes(st.just("Cgroup")),
                    }
                )
            ),
            "webhookEventId": sometimes(st.text(min_size=1, max_size=30)),
            "deliveryContext": sometimes(st.fixed_dictionaries({"isRedelivery": st.booleans()})),
            "replyToken": sometimes(st.text(min_size=1, max_size=20)),
            "message": sometimes(
                st.fixed_dictionaries(
                    {
                        "type": sometimes(st.just("text")),
                        "id": sometimes(st.text(min_size=1, max_size=8)),
                        "text": sometimes(answer_texts),
                        "quoteToken": sometimes(st.just("q")),
                    },
                    optional={
                        "mention": sometimes(
                            st.fixed_dictionaries(
                                {"mentionees": sometimes(st.lists(line_mentionees, max_size=2))}
                            )
                        ),
                        "emojis": sometimes(st.lists(line_spans, max_size=2)),
                    },
                )
            ),
            "unsend": sometimes(
                st.fixed_dictionaries({"messageId": sometimes(st.text(max_size=8))})
            ),
            "follow": sometimes(st.fixed_dictionaries({"isUnblocked": sometimes(st.booleans())})),
            "postback": sometimes(
                st.fixed_dictionaries(
                    {
                        "data": sometimes(
                            st.one_of(
                                st.just("a=grade&r=1&d=1&i=1&g=B"),
                                st.builds(
                                    lambda r, i: f"a=grade&r={r}&d=1&i={i}&g=B",
                                    st.integers(min_value=-1, max_value=2**70),
                                    st.integers(min_value=-1, max_value=2**70),
                                ),
                                st.text(max_size=40),
                            )
                        )
                    }
                )
            ),
        }
    ),
    max_size=3,
)


@EXAMPLES
@given(payload=slack_events)
def test_generated_slack_events_never_get_a_5xx(server: Server, payload: dict[str, Any]) -> None:
    assert server.slack(json.dumps(payload).encode(), content_type="application/json") < 500


@EXAMPLES
@given(payload=slack_interactions)
def test_generated_slack_interactions_never_get_a_5xx(
    server: Server, payload: dict[str, Any]
) -> None:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    assert server.slack(body, content_type="application/x-www-form-urlencoded") < 500


@EXAMPLES
@given(form=slash_commands)
def test_generated_slash_commands_never_get_a_5xx(server: Server, form: dict[str, str]) -> None:
    body = urlencode(form).encode()
    assert server.slack(body, content_type="application/x-www-form-urlencoded") < 500


@EXAMPLES
@given(events=line_events)
def test_generated_line_webhooks_never_get_a_5xx(
    server: Server, events: list[dict[str, Any]]
) -> None:
    body = json.dumps({"destination": "Ubot", "events": events}).encode()
    assert server.line(body) < 500


@EXAMPLES
@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_with_a_4xx(server: Server, body: bytes) -> None:
    assert 400 <= server.slack(body, content_type="application/json") < 500
    assert 400 <= server.line(body) < 500


# --- the cases measured in the issue, named ------------------------------------------------

DEEP = b"[" * 50_000 + b"]" * 50_000


def dm_body(**event: Any) -> bytes:
    base = {
        "type": "message",
        "channel_type": "im",
        "channel": "DS0X0",
        "user": "S0X0",
        "ts": "1.0",
    }
    return json.dumps(
        {
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "team_id": "T0TEST",
            "event": {**base, **event},
        }
    ).encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\xff\xfe{not utf-8", 400),
        (DEEP, 400),
        (
            b'{"type": "event_callback", "event": {"type": "message", "user": ["x"], "channel_type": "im"}}',
            400,
        ),
        (dm_body(user=None), 400),  # a DM without its sender
        (dm_body(text=12345), 400),
        (dm_body(text="1 B 広報\x00紙で周知"), 200),  # NUL removed, answer stored
        (dm_body(text="99999999999 B 32ビットを超える番号"), 200),  # a polite error reply
        (dm_body(text="1 B " + "長" * 5000), 200),  # too long a comment: a polite error reply
    ],
)
def test_slack_bodies_from_the_issue(server: Server, body: bytes, expected: int) -> None:
    assert server.slack(body, content_type="application/json") == expected


def test_nul_in_a_comment_is_removed_and_the_answer_kept(server: Server, db: Db) -> None:
    assert (
        server.slack(dm_body(text="1 B 広報\x00紙で周知"), content_type="application/json") == 200
    )
    assert stored_comments(db) == ["広報紙で周知"]


@pytest.mark.parametrize("timestamp", ["", "abc", "12.5", "9" * 40, "１７００".encode()])
def test_malformed_slack_timestamps_are_401(server: Server, timestamp: str | bytes) -> None:
    status = server.slack(
        dm_body(text="1 B x"),
        content_type="application/json",
        headers={"X-Slack-Request-Timestamp": timestamp},
    )
    assert status == 401


def test_oversized_bodies_are_413_on_both_routes(server: Server, db: Db) -> None:
    big = dm_body(text="1 B " + "x" * 140_000)
    assert server.slack(big, content_type="application/json") == 413
    line_big = json.dumps({"destination": "U", "events": [], "pad": "x" * 140_000}).encode()
    assert server.line(line_big) == 413
    assert stored_comments(db) == []


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe", DEEP, b'{"events": "nope"}', b'{"events": [{"type": "message", "source": 3}]}'],
)
def test_malformed_line_bodies_are_400(server: Server, body: bytes) -> None:
    assert server.line(body) == 400


def test_line_postback_with_ids_beyond_32_bits_gets_a_polite_reply(
    server: Server, line_api: FakeLineApi
) -> None:
    event = {
        "type": "postback",
        "mode": "active",
        "timestamp": 1,
        "source": {"type": "user", "userId": "L0X0"},
        "webhookEventId": "01HUGEPOSTBACK",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "rt-huge",
        "postback": {"data": f"a=grade&r={2**40}&d=1&i=1&g=B"},
    }
    assert server.line(json.dumps({"destination": "U", "events": [event]}).encode()) == 200
    [reply] = line_api.wait_for(1, path="/v2/bot/message/reply")
    assert "ボタン" in reply.texts[0]
