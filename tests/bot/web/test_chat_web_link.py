"""`/hokoku web` and `ウェブ` in chat, through the real bolt app (signed Slack requests): the
sender gets a one-time link for their own role, privately; in a channel the bot refuses
to post one. The link signs in to the console served by the same app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.runtime import Runtime
from bot.server import build_app, configure_platforms
from tests.asgi_server import running_asgi
from tests.bot.slack.harness import SlackHarness, TrackingExecutor, seed
from tests.bot.web.harness import csrf_of
from tests.conftest import Db
from tests.fakes.slack_api import FakeSlackApi

URL = re.compile(r"https?://\S+/web/signin/[A-Za-z0-9_-]{43}")


class Later:
    """An ASGI app set once the server's address is known (it goes into HOKOKU_PUBLIC_URL)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # nothing to start: no scheduler, Slack over HTTP
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app(scope, receive, send)


@pytest.fixture
def slack(slack_runtime: Runtime, fake_slack: FakeSlackApi) -> Iterator[SlackHarness]:
    """The Slack harness, with HOKOKU_PUBLIC_URL set to the server's own address."""
    executor = TrackingExecutor()
    later = Later()
    with running_asgi(later) as url:
        settings = slack_runtime.settings.model_copy(update={"public_url": url})
        runtime = Runtime(
            settings=settings,
            engine=slack_runtime.engine,
            factory=slack_runtime.factory,
            organization_id=slack_runtime.organization_id,
        )
        platforms = configure_platforms(settings, runtime, slack_executor=executor)
        later.app = build_app(settings, runtime, platforms=platforms)
        harness = SlackHarness(url, fake_slack, executor, platforms)
        fake_slack.reset()
        try:
            yield harness
        finally:
            harness.http.close()
    executor.shutdown(wait=True)


def test_slash_web_sends_a_private_link_that_signs_in(db: Db, slack: SlackHarness) -> None:
    seed(
        db,
        items=[("広報", ["女性センター"])],
        links={"U1": [("女性センター", "member")], "UOFF": [("男女平等推進センター", "office")]},
    )
    reply = slack.command("U1", "web").json()
    assert reply["response_type"] == "ephemeral"
    [url] = URL.findall(reply["text"])
    buttons = [
        e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"] if "url" in e
    ]
    assert [b["url"] for b in buttons] == [url]
    http = httpx.Client(timeout=30, follow_redirects=False)
    page = http.get(url)
    token = url.rsplit("/", 1)[1]
    signed = http.post(
        url.split("/web/")[0] + "/web/signin",
        data={"csrf_token": csrf_of(page.text), "token": token},
    )
    assert signed.status_code == 303 and signed.headers["location"].startswith("/web/departments/")
    office = slack.command("UOFF", "ウェブ").json()
    assert "（事務局）" in office["text"]
    again = http.post(
        url.split("/web/")[0] + "/web/signin",
        data={"csrf_token": csrf_of(http.get(url).text), "token": token},
    )
    assert again.status_code == 400  # the member's link was used once already


def test_web_in_a_channel_is_refused(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={"C0WOMEN": [("女性センター", "member")]})
    slack.event(
        {
            "type": "app_mention",
            "channel": "C0WOMEN",
            "user": "U5",
            "text": "<@UBOT> ウェブ",
            "ts": "1700000001.000100",
        },
        event_id="EvWeb",
    )
    [reply] = slack.api.of("chat.postMessage")
    text = json.dumps(reply.body, ensure_ascii=False)
    assert "1対1のチャット" in text and "/web/signin/" not in text
