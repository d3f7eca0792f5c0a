"""A local stand-in for the LINE Messaging API: records reply/push calls with their headers.

Like the real API it answers a push whose X-Line-Retry-Key was already accepted with 409,
and it can be told to fail the next call with a given status (e.g. 429 once). Like LINE, it
answers 400 to a request that breaks a documented limit (tests/fakes/line_limits.py) and
notes it in `violations`; `running_fake_line_api` fails the test that left any behind.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http_server import FakeHttpServer
from tests.fakes.line_limits import request_problems

WAIT_SECONDS = 10.0
MESSAGE_PATHS = frozenset({"/v2/bot/message/reply", "/v2/bot/message/push"})


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    method: str = "POST"

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("type") == "text"]

    @property
    def retry_key(self) -> str | None:
        return self.headers.get("x-line-retry-key")


@dataclass
class FakeLineApi:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    accepted_retry_keys: set[str] = field(default_factory=set)
    fail_next: list[int] = field(default_factory=list)
    violations: list[tuple[str, list[str]]] = field(default_factory=list)
    # GET /v2/bot/profile/{userId} and …/group|room/{id}/member/{userId}: user id → the
    # displayName LINE gives (others: 404, as for a user who did not consent).
    profiles: dict[str, str] = field(default_factory=dict)
    # How many reply calls to refuse with 400 "Invalid reply token" (an expired token).
    expired_tokens: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def record(self, call: Call) -> int:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
            if self.fail_next:
                return self.fail_next.pop(0)
            if call.path == "/v2/bot/message/reply" and self.expired_tokens:
                self.expired_tokens -= 1
                return 400
            problems = request_problems(call.body) if call.path in MESSAGE_PATHS else []
            if problems:
                self.violations.append((call.path, problems))
                return 400
            key = call.retry_key
            if key is not None:
                if key in self.accepted_retry_keys:
                    return 409
                self.accepted_retry_keys.add(key)
            return 200

    def wait_for(self, count: int, *, path: str | None = None) -> list[Call]:
        """Block until `count` calls (to `path`, if given) were recorded; fail if they never come."""

        def matching() -> list[Call]:
            return [c for c in self.calls if path is None or c.path == path]

        with self._cond:
            self._cond.wait_for(lambda: len(matching()) >= count, timeout=WAIT_SECONDS)
            found = matching()
        assert len(found) >= count, f"expected {count} LINE API calls, got {found!r}"
        return found

    @property
    def replies(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/v2/bot/message/reply"]

    @property
    def pushes(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/v2/bot/message/push"]

    @property
    def lookups(self) -> list[Call]:
        return [c for c in self.calls if c.method == "GET"]

    def profile(self, path: str) -> dict[str, Any] | None:
        """The profile LINE answers for a profile path, or None (404)."""
        parts = path.strip("/").split("/")
        user = parts[-1] if len(parts) >= 4 else ""
        if parts[:3] == ["v2", "bot", "profile"] or (
            len(parts) == 6 and parts[2] in ("group", "room") and parts[4] == "member"
        ):
            name = self.profiles.get(user)
            if name is not None:
                return {"displayName": name, "userId": user, "pictureUrl": "https://x/p.png"}
        return None


def _handler(api: FakeLineApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            declared = self.headers.get("Content-Length")
            raw = self.rfile.read(int(declared)) if declared else b""
            if declared is None or len(raw) < int(declared):
                # A request cut off by a client that died mid-send (the kill -9 tests): LINE
                # refuses it; it never reaches the API, so it is not recorded as a call.
                self.send_response(411 if declared is None else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            call = Call(
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw or b"{}"),
            )
            status = api.record(call)
            if status == 200:
                sent = [{"id": uuid.uuid4().hex[:16], "quoteToken": "q"} for _ in call.messages]
                payload: dict[str, Any] = {"sentMessages": sent or [{"id": "0"}]}
            else:
                payload = {"message": f"fake error {status}"}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 409:
                self.send_header("x-line-accepted-request-id", "fake-accepted")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            with api._cond:
                api.calls.append(Call(path=self.path, headers=headers, body={}, method="GET"))
                api._cond.notify_all()
            found = api.profile(self.path)
            data = json.dumps(found if found is not None else {"message": "Not found"}).encode()
            self.send_response(200 if found is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_fake_line_api() -> Iterator[FakeLineApi]:
    api = FakeLineApi()
    server = FakeHttpServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert not api.violations, f"requests over LINE limits: {api.violations}"
