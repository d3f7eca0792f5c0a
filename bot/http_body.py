"""Reading webhook bodies safely: a size limit, strict UTF-8 and JSON of bounded depth.

Both webhooks (Slack, LINE) read their body through `read_limited` and parse it with
`parse_json`: an oversized, non-UTF-8 or absurdly nested body is a 4xx, never a 500.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

MAX_JSON_DEPTH = 64  # real payloads nest < 15 deep; deeper would only stress recursion


class BadBody(Exception):
    """The body cannot be what the platform sends; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body, or BadBody(413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadBody(413, "request body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadBody(413, "request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody(400, "body is not UTF-8") from None


def _depth(value: Any) -> int:
    """How deep the JSON value nests (a scalar inside counts as a level). Only containers
    are walked: a form page's payload holds hundreds of strings and a few dozen objects."""
    deepest, stack = 1, [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if children:
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json_object(text: str) -> dict[str, Any]:
    """A JSON object of bounded depth, or BadBody(400)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise BadBody(400, "body is not JSON") from None
    if not isinstance(value, dict):
        raise BadBody(400, "body is not a JSON object")
    if _depth(value) > MAX_JSON_DEPTH:
        raise BadBody(400, "JSON nested too deep")
    return value
