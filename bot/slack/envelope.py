"""The shape of a Slack payload that bolt can dispatch without tripping over it.

bolt reads ids and types from many places of a payload before any listener runs (to build
its context, to match listeners, in its error handler) and assumes Slack's types: an
`event` that is `null`, a `user` that is a list or an action without an `action_id` make it
raise outside any handler, i.e. a 500. A signed payload is checked here against the shape
Slack documents for the fields bolt and hokoku read; anything else is answered 400.
Unknown fields are ignored, as bolt ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NULL = type(None)
Scalar = type | tuple[type, ...]


@dataclass(frozen=True)
class Obj:
    """A JSON object; `fields` are checked when present, `required` must be present."""

    fields: Mapping[str, Shape] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    nullable: bool = False


@dataclass(frozen=True)
class ListOf:
    item: Shape
    nullable: bool = False
    non_empty: bool = False


@dataclass(frozen=True)
class OneOf:
    options: tuple[Shape, ...]


Shape = Scalar | Obj | ListOf | OneOf

ID = (str, NULL)  # ids and timestamps: strings, or null where Slack leaves them out
WITH_ID = OneOf((ID, Obj({"id": ID, "team_id": ID, "enterprise_id": ID}, nullable=True)))

FILES = ListOf(Obj({"name": ID, "title": ID}), nullable=True)
MESSAGE = Obj(
    {
        "user": WITH_ID,
        "channel": WITH_ID,
        "thread_ts": ID,
        "ts": ID,
        "text": ID,
        "subtype": ID,
        "bot_id": ID,
        "files": FILES,
    },
    nullable=True,
)
EVENT = Obj(
    {
        "type": str,
        "subtype": ID,
        "user": WITH_ID,
        "user_id": ID,
        "channel": WITH_ID,
        "channel_id": ID,
        "channel_type": ID,
        "text": ID,
        "ts": ID,
        "thread_ts": ID,
        "event_ts": ID,
        "bot_id": ID,
        "deleted_ts": ID,
        "files": FILES,
        "tab": ID,
        "team": ID,
        "user_team": ID,
        "team_id": ID,
        "enterprise": WITH_ID,
        "function_execution_id": ID,
        "bot_access_token": ID,
        "inputs": Obj(nullable=True),
        "message": MESSAGE,
        "previous_message": MESSAGE,
        "item": Obj({"channel": WITH_ID}, nullable=True),
        "assistant_thread": Obj({"channel_id": ID, "thread_ts": ID}, nullable=True),
    },
    required=frozenset({"type"}),
)
ACTION = Obj(
    {"action_id": str, "block_id": ID, "type": ID, "value": ID, "action_ts": ID},
    required=frozenset({"action_id"}),
)
VIEW = Obj(
    {
        "id": ID,
        "type": ID,
        "callback_id": ID,
        "hash": ID,
        "private_metadata": ID,
        "team_id": ID,
        "app_installed_team_id": ID,
        "state": Obj({"values": Obj(nullable=True)}, nullable=True),
    },
    # Not null: bolt's log line for a payload no listener takes reads `view.get(…)` when
    # the key is there (slack_bolt.logger.messages); Slack leaves the key out instead.
)
AUTHORIZATION = Obj(
    {"enterprise_id": ID, "team_id": ID, "user_id": ID, "is_enterprise_install": (bool, str, NULL)}
)
PAYLOAD = Obj(
    {
        "type": ID,
        "token": ID,
        "team_id": ID,
        "api_app_id": ID,
        "enterprise_id": ID,
        "event_id": ID,
        "event_time": (int, NULL),
        "challenge": ID,
        "is_enterprise_install": (bool, str, NULL),
        "is_ext_shared_channel": (bool, NULL),
        "context_team_id": ID,
        "context_enterprise_id": ID,
        "authorizations": ListOf(AUTHORIZATION, nullable=True),
        "enterprise": WITH_ID,
        "team": WITH_ID,
        "user": WITH_ID,
        "user_id": ID,
        "channel": WITH_ID,
        "channel_id": ID,
        "command": ID,
        "text": ID,
        "trigger_id": ID,
        "response_url": ID,
        "callback_id": ID,
        "thread_ts": ID,
        "function_execution_id": ID,
        "bot_access_token": ID,
        "function_data": Obj({"execution_id": ID, "inputs": Obj(nullable=True)}, nullable=True),
        "assistant_thread": Obj({"channel_id": ID, "thread_ts": ID}, nullable=True),
        "event": EVENT,
        "view": VIEW,
        "actions": ListOf(ACTION, nullable=True),
        "message": MESSAGE,
        "previous_message": MESSAGE,
        "container": Obj({"message_ts": ID, "view_id": ID, "channel_id": ID}, nullable=True),
        "item": Obj({"channel": WITH_ID}, nullable=True),
        "state": Obj({"values": Obj(nullable=True)}, nullable=True),
    }
)


# What bolt reads only for some payload types (slack_bolt.request.payload_utils): the
# first action of a click, the view's type on a submission, a workflow step's step.
BY_TYPE: Mapping[str, Obj] = {
    "block_actions": Obj({"actions": ListOf(ACTION, non_empty=True)}),
    "interactive_message": Obj({"actions": ListOf(ACTION, non_empty=True)}),
    "view_submission": Obj(
        {"view": Obj({"callback_id": ID, "type": str}, required=frozenset({"type"}))}
    ),
    "view_closed": Obj({"view": Obj({"callback_id": ID})}),
    "workflow_step_edit": Obj(required=frozenset({"workflow_step"})),
}


class WrongShape(Exception):
    """The payload does not have the shape Slack sends; the message says where."""


def check_payload(payload: Mapping[str, Any]) -> None:
    """Raise WrongShape unless bolt can read `payload` (a parsed JSON object)."""
    check(payload, PAYLOAD)
    kind = payload.get("type")
    if isinstance(kind, str) and kind in BY_TYPE:
        check(payload, BY_TYPE[kind])


def _fits(value: Any, shape: Shape) -> bool:
    try:
        check(value, shape)
    except WrongShape:
        return False
    return True


def check(value: Any, shape: Shape = PAYLOAD, path: str = "payload") -> None:
    """Raise WrongShape unless `value` has `shape`."""
    if isinstance(shape, OneOf):
        if not any(_fits(value, option) for option in shape.options):
            raise WrongShape(f"{path}: unexpected {type(value).__name__}")
        return
    if isinstance(shape, Obj):
        if value is None and shape.nullable:
            return
        if not isinstance(value, Mapping):
            raise WrongShape(f"{path}: not an object")
        missing = shape.required - value.keys()
        if missing:
            raise WrongShape(f"{path}: missing {', '.join(sorted(missing))}")
        for key, inner in shape.fields.items():
            if key in value:
                check(value[key], inner, f"{path}.{key}")
        return
    if isinstance(shape, ListOf):
        if value is None and shape.nullable:
            return
        if not isinstance(value, list):
            raise WrongShape(f"{path}: not a list")
        if shape.non_empty and not value:
            raise WrongShape(f"{path}: empty")
        for n, item in enumerate(value):
            check(item, shape.item, f"{path}[{n}]")
        return
    # bool is an int in Python; Slack's numbers are never booleans.
    if not isinstance(value, shape) or (isinstance(value, bool) and bool not in _types(shape)):
        raise WrongShape(f"{path}: unexpected {type(value).__name__}")


def _types(scalar: Scalar) -> tuple[type, ...]:
    return scalar if isinstance(scalar, tuple) else (scalar,)
