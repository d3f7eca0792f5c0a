"""Fixtures of the web console's tests: the server, and a browser on Debian's chromium (no
browser download) at the office PCs' 1366×768.

`browser` overrides pytest-playwright's session-wide one: Playwright's sync API keeps an
asyncio loop running in the main thread while it lives, and later tests of the same run
that call `asyncio.run` (the outbox dispatcher, LINE pushes) must not find it still running.
So each browser test starts Playwright and stops it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.bot.web.harness import CHROMIUM_FLAGS, chromium_or_skip, web

__all__ = ["web"]


@pytest.fixture
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1366, "height": 768}, "locale": "ja-JP", "accept_downloads": True}
