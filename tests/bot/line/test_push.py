"""The push transport's proxy choice: the SDK Configuration's, else the environment's."""

from __future__ import annotations

import pytest

from bot.line.push import proxy_for

API = "https://api.line.me/v2/bot/message/push"


def test_the_configured_proxy_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy:8080")
    assert proxy_for(API, "http://lgwan-proxy:3128") == "http://lgwan-proxy:3128"


def test_the_environment_proxy_is_used_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for(API, None) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy:8080")
    assert proxy_for(API, None) == "http://env-proxy:8080"
    monkeypatch.setenv("HTTP_PROXY", "http://env-proxy:8080")
    assert proxy_for("http://127.0.0.1:9/v2/bot/message/push", None) is None  # this machine
    monkeypatch.setenv("NO_PROXY", "api.line.me")
    assert proxy_for(API, None) is None
