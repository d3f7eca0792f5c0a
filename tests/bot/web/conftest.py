"""Fixtures of the web console's tests: the server, and pytest-playwright's browser on
Debian's chromium (no browser download) at the office PCs' 1366×768."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.web.harness import CHROMIUM_FLAGS, chromium_or_skip, web

__all__ = ["web"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": chromium_or_skip(),
        "args": CHROMIUM_FLAGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 1366, "height": 768},
        "locale": "ja-JP",
        "accept_downloads": True,
    }
