"""Slack message events as Slack sends them, field for field, for the tests to post.

Each builder follows the example of Slack's own reference page (cited on it) and fills in
the fields a real delivery of that kind carries (ids, `blocks`, `client_msg_id` …), so the
app reads the same shape it will meet in production, not only the fields it uses.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

TEAM = "T0TEST"
_last = [0.0]


def ts() -> str:
    """A fresh message timestamp (seconds.micro, as Slack writes them), always increasing."""
    _last[0] = max(time.time(), _last[0] + 0.000_001)
    return f"{_last[0]:.6f}"


def _rich_text(text: str) -> list[dict[str, Any]]:
    """The `blocks` Slack adds to a message typed in its client (the text as one section)."""
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


def message(
    user: str, text: str, *, channel: str, ts_: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A plain message in a DM (https://docs.slack.dev/reference/events/message/)."""
    when = ts_ or ts()
    event = {
        "type": "message",
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "user": user,
        "ts": when,
        "blocks": _rich_text(text),
        "team": TEAM,
        "channel": channel,
        "event_ts": when,
        "channel_type": "im",
    }
    event.update(extra)
    return event


def file(name: str, *, user: str, mimetype: str = "application/pdf") -> dict[str, Any]:
    """A file object as `files[]` of a file_share carries it
    (https://docs.slack.dev/reference/objects/file-object/)."""
    file_id = f"F{uuid.uuid4().hex[:10].upper()}"
    filetype = name.rsplit(".", 1)[-1].lower()
    return {
        "id": file_id,
        "created": int(time.time()),
        "timestamp": int(time.time()),
        "name": name,
        "title": name,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper(),
        "user": user,
        "user_team": TEAM,
        "editable": False,
        "size": 182_113,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"https://files.slack.com/files-pri/{TEAM}-{file_id}/{name}",
        "url_private_download": f"https://files.slack.com/files-pri/{TEAM}-{file_id}/download/{name}",
        "permalink": f"https://hokoku-test.slack.com/files/{user}/{file_id}/{name}",
        "is_starred": False,
        "has_rich_preview": False,
        "file_access": "visible",
    }


def file_share(user: str, text: str, *files: dict[str, Any], channel: str) -> dict[str, Any]:
    """A message with files (https://docs.slack.dev/reference/events/message/file_share/)."""
    return message(
        user,
        text,
        channel=channel,
        subtype="file_share",
        files=list(files),
        upload=False,
        display_as_bot=False,
    )


def thread_broadcast(
    user: str, text: str, *, channel: str, thread_ts: str, root_text: str = ""
) -> dict[str, Any]:
    """A thread reply also sent to the conversation
    (https://docs.slack.dev/reference/events/message/thread_broadcast/)."""
    return message(
        user,
        text,
        channel=channel,
        subtype="thread_broadcast",
        thread_ts=thread_ts,
        root={
            "type": "message",
            "text": root_text,
            "user": user,
            "ts": thread_ts,
            "thread_ts": thread_ts,
            "reply_count": 1,
            "reply_users_count": 1,
            "latest_reply": thread_ts,
            "reply_users": [user],
            "is_locked": False,
            "subscribed": True,
        },
    )


def changed(original: dict[str, Any], text: str, **message_extra: Any) -> dict[str, Any]:
    """`original` edited to `text` (https://docs.slack.dev/reference/events/message/
    message_changed/): the new message under `message`, the old under `previous_message`,
    the event's own `ts` is the edit's."""
    when = ts()
    previous = {k: v for k, v in original.items() if k not in ("channel", "event_ts")}
    previous.pop("channel_type", None)
    edited = {
        **previous,
        "text": text,
        "blocks": _rich_text(text),
        "edited": {"user": original["user"], "ts": when},
        **message_extra,
    }
    edited.pop("subtype", None)
    if "subtype" in message_extra:
        edited["subtype"] = message_extra["subtype"]
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": edited,
        "channel": original["channel"],
        "previous_message": previous,
        "event_ts": when,
        "ts": when,
        "channel_type": original.get("channel_type", "im"),
    }


def deleted(original: dict[str, Any]) -> dict[str, Any]:
    """`original` deleted (https://docs.slack.dev/reference/events/message/message_deleted/)."""
    when = ts()
    previous = {k: v for k, v in original.items() if k not in ("channel", "event_ts")}
    previous.pop("channel_type", None)
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": original["channel"],
        "ts": when,
        "deleted_ts": original["ts"],
        "event_ts": when,
        "previous_message": previous,
        "channel_type": original.get("channel_type", "im"),
    }


def mention(user: str, text: str, *, channel: str, bot: str = "UBOT") -> dict[str, Any]:
    """`@hokoku …` in a channel (https://docs.slack.dev/reference/events/app_mention/)."""
    when = ts()
    full = f"<@{bot}> {text}"
    return {
        "type": "app_mention",
        "client_msg_id": str(uuid.uuid4()),
        "user": user,
        "text": full,
        "ts": when,
        "blocks": _rich_text(full),
        "team": TEAM,
        "channel": channel,
        "event_ts": when,
    }


def user(user_id: str, display_name: str, real_name: str = "") -> dict[str, Any]:
    """A `user` object as users.info returns it (https://docs.slack.dev/reference/methods/
    users.info/)."""
    return {
        "id": user_id,
        "team_id": TEAM,
        "name": user_id.lower(),
        "deleted": False,
        "real_name": real_name or display_name,
        "tz": "Asia/Tokyo",
        "profile": {
            "real_name": real_name or display_name,
            "display_name": display_name,
            "real_name_normalized": real_name or display_name,
            "display_name_normalized": display_name,
            "team": TEAM,
        },
        "is_admin": False,
        "is_bot": False,
        "updated": int(time.time()),
    }
