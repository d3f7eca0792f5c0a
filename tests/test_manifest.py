"""The Slack app manifest asks for exactly the scopes the code needs (no more, none missing).

The code's Web API calls (`client.<method>(`) and its bolt event listeners are read from the
source; each maps to the bot scopes Slack documents for it (https://api.slack.com/methods/…
"Required scopes", https://api.slack.com/events/…). A new call with no entry here fails the
test, so the table and the manifest are updated together.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SLACK_CODE = [REPO / "bot" / "server.py", *sorted((REPO / "bot" / "slack").rglob("*.py"))]

# Web API method (slack_sdk name) → bot scopes it needs (one of them for a conversation kind
# hokoku uses: public channel, private channel, DM).
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "conversations_open": {"im:write"},  # DMs to a user
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "files_upload_v2": {"files:write"},  # files.getUploadURLExternal + completeUploadExternal
    "users_info": {"users:read"},  # people's names for the office's history
    "views_open": set(),
    "views_update": set(),
    "views_publish": set(),
    "auth_test": set(),
}
# Events hokoku listens to (bolt `@app.event`) → scopes; `message` is subscribed as message.im.
EVENT_SCOPES: dict[str, set[str]] = {
    "message": {"im:history"},
    "app_mention": {"app_mentions:read"},
    "app_home_opened": set(),
}
COMMAND_SCOPES = {"commands"}


def code_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SLACK_CODE)


def needed_scopes() -> set[str]:
    text = code_text()
    methods = set(re.findall(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(", text))
    events = set(re.findall(r"\bapp\.event\(\s*\"([a-z_.]+)\"", text))
    unknown = (methods - METHOD_SCOPES.keys()) | (events - EVENT_SCOPES.keys())
    assert not unknown, f"add the documented scopes of {sorted(unknown)} to this test"
    assert methods, "no Web API call found: the pattern no longer matches the code"
    scopes = set(COMMAND_SCOPES) if re.search(r"\bapp\.command\(", text) else set()
    for method in methods:
        scopes |= METHOD_SCOPES[method]
    for event in events:
        scopes |= EVENT_SCOPES[event]
    return scopes


def manifest() -> dict[str, object]:
    data = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_manifest_scopes_are_exactly_what_the_code_needs() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])  # type: ignore[index]
    needed = needed_scopes()
    assert scopes <= needed, f"unused scopes in manifest.yml: {sorted(scopes - needed)}"
    assert needed <= scopes, f"scopes missing from manifest.yml: {sorted(needed - scopes)}"
    assert not {"channels:read", "groups:read"} & scopes


def test_manifest_events_match_the_listeners_and_urls_are_one() -> None:
    data = manifest()
    settings = data["settings"]
    assert isinstance(settings, dict)
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
    }
    text = (REPO / "manifest.yml").read_text(encoding="utf-8")
    urls = re.findall(r"^\s*(?:url|request_url): (\S+)$", text, flags=re.MULTILINE)
    assert len(urls) == 3 and set(urls) == {"https://hokoku.example.jp/slack/events"}
    assert "remove the three url / request_url lines" in text
