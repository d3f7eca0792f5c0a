"""A local stand-in for the Slack Web API: records every call and answers like Slack.

Run it in a thread, point SLACK_API_URL at `url`, then assert on `calls`. `fail_once`
makes the next call of a method answer 429 (with Retry-After) or an API error.
Like Slack, it refuses a message or view that breaks a documented limit (`invalid_blocks`,
see tests/fakes/slack_limits.py) and notes it in `violations`; the fixtures fail a test
that left any behind, so every test checks the payloads it causes.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.http_server import FakeHttpServer
from tests.fakes.slack_limits import message_problems, view_problems

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
# files.getUploadURLExternal / upload / files.completeUploadExternal (files_upload_v2).
MAX_FILE_BYTES = 1024 * 1024 * 1024  # 1 GB
MAX_FILENAME = 255
MAX_FILE_TITLE = 255
MAX_INITIAL_COMMENT = 4000
MAX_FILES_PER_COMPLETE = 100


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    raw: bytes = b""
    authorization: str = ""

    def json_field(self, name: str) -> Any:
        """A field that slack_sdk may send JSON-encoded inside a form body (blocks, view)."""
        value = self.body.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            return json.loads(value)
        return value


@dataclass
class _Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.violations: list[tuple[str, list[str]]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        # file id → declared length, and the bytes uploaded to it (None: not yet uploaded)
        self._declared: dict[str, int] = {}
        self.uploads: dict[str, bytes | None] = {}
        self._completed: set[str] = set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # A request cut off by a client that died mid-send (the kill -9 tests):
                    # Slack never sees it, so it is neither handled nor recorded as a call.
                    self.close_connection = True
                    return
                path = self.path.split("?", 1)[0]
                status, payload, headers = fake._handle(
                    path,
                    raw,
                    self.headers.get("Content-Type", ""),
                    self.headers.get("Authorization", ""),
                )
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    "text/plain" if isinstance(payload, bytes) else "application/json",
                )
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_PUT = do_POST

        self.server = FakeHttpServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/"
        # What apps.connections.open hands out: a FakeSocketModeServer's ws:// URL.
        self.socket_url: str | None = None
        # users.info: user id → the `user` object Slack returns (others: user_not_found).
        self.users: dict[str, dict[str, Any]] = {}
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeSlackApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ test controls

    def fail_once(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "ratelimited",
        retry_after: int | None = None,
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        failure = _Failure(status, {"ok": False, "error": error}, headers)
        with self._lock:
            self._failures.setdefault(method, []).append(failure)

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls of `method` arrived (listeners run after the ack)."""
        with self._lock:
            self._lock.wait_for(
                lambda: sum(c.method == method for c in self.calls) >= count, timeout=timeout
            )
            found = [c for c in self.calls if c.method == method]
        assert len(found) >= count, f"expected {count} call(s) of {method}, got {len(found)}"
        return found

    def assert_within_limits(self) -> None:
        """Fail when any call broke a Slack limit (even one the bot caught and logged)."""
        assert not self.violations, f"payloads over Slack limits: {self.violations}"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    # ------------------------------------------------------------------ the API

    def _handle(
        self, path: str, raw: bytes, content_type: str, authorization: str = ""
    ) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        if path.startswith("/upload/"):
            file_id = path.removeprefix("/upload/")
            with self._lock:
                self.calls.append(Call("upload", {"path": path, "size": len(raw)}, raw))
                problems = self._upload_problems(file_id, raw)
                if problems:
                    self.violations.append(("upload", problems))
                else:
                    self.uploads[file_id] = raw
                self._lock.notify_all()
            if problems:
                return 400, b"invalid upload", {}
            return 200, b"OK - " + str(len(raw)).encode(), {}
        if path.startswith("/response/"):
            body = json.loads(raw or b"{}")
            problems = message_problems(body)
            with self._lock:
                self.calls.append(Call("response_url", body, raw))
                if problems:
                    self.violations.append(("response_url", problems))
                self._lock.notify_all()
            if problems:
                return 400, b"invalid_blocks", {}
            return 200, b"ok", {}
        method = path.removeprefix("/api/")
        if "json" in content_type:
            body: dict[str, Any] = json.loads(raw or b"{}")
        else:
            body = dict(parse_qsl(raw.decode()))
        with self._lock:
            problems = self._limit_problems(method, Call(method, body, raw))
            self.calls.append(Call(method, body, raw, authorization))
            if problems:
                self.violations.append((method, problems))
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
            self._lock.notify_all()
        if failure is not None:
            return failure.status, failure.body, failure.headers
        if problems:
            return 200, {"ok": False, "error": "invalid_blocks", "errors": problems}, {}
        return 200, self._ok(method, body), {}

    def _limit_problems(self, method: str, call: Call) -> list[str]:
        if method in MESSAGE_METHODS:
            return message_problems({**call.body, "blocks": call.json_field("blocks")})
        if method in VIEW_METHODS:
            return view_problems(call.json_field("view"))
        if method == "files.getUploadURLExternal":
            return self._url_problems(call.body)
        if method == "files.completeUploadExternal":
            return self._complete_problems(call)
        return []

    @staticmethod
    def _url_problems(body: dict[str, Any]) -> list[str]:
        """files.getUploadURLExternal: a filename and the file's length, within Slack's limits."""
        problems = []
        filename = str(body.get("filename") or "")
        if not filename or len(filename) > MAX_FILENAME:
            problems.append(f"filename: {len(filename)} characters (1..{MAX_FILENAME})")
        length = str(body.get("length", ""))
        if not length.isdigit() or not 0 < int(length) <= MAX_FILE_BYTES:
            problems.append(f"length: {length!r} (1..{MAX_FILE_BYTES} bytes)")
        return problems

    def _upload_problems(self, file_id: str, raw: bytes) -> list[str]:
        """The upload URL: a file asked for, uploaded once, with the length it declared."""
        if file_id not in self._declared:
            return [f"upload: {file_id} was not handed out by files.getUploadURLExternal"]
        if self.uploads.get(file_id) is not None:
            return [f"upload: {file_id} uploaded twice"]
        if len(raw) != self._declared[file_id]:
            return [f"upload: {len(raw)} bytes, {self._declared[file_id]} declared"]
        return []

    def _complete_problems(self, call: Call) -> list[str]:
        """files.completeUploadExternal: uploaded files, each completed once, a title and an
        initial comment within their limits, and somewhere to share them."""
        problems = []
        files = call.json_field("files")
        if not isinstance(files, list) or not 1 <= len(files) <= MAX_FILES_PER_COMPLETE:
            return [f"files: {files!r} (1..{MAX_FILES_PER_COMPLETE})"]
        for entry in files:
            file_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
            if self.uploads.get(file_id) is None:
                problems.append(f"files: {file_id or entry!r} was not uploaded")
            elif file_id in self._completed:
                problems.append(f"files: {file_id} completed twice")
            title = str(entry.get("title", "")) if isinstance(entry, dict) else ""
            if len(title) > MAX_FILE_TITLE:
                problems.append(f"files: title of {len(title)} characters > {MAX_FILE_TITLE}")
        comment = str(call.body.get("initial_comment", ""))
        if len(comment) > MAX_INITIAL_COMMENT:
            problems.append(f"initial_comment: {len(comment)} > {MAX_INITIAL_COMMENT}")
        if "thread_ts" in call.body and not call.body.get("channel_id"):
            problems.append("thread_ts without channel_id")
        if not problems:
            self._completed.update(str(entry["id"]) for entry in files)
        return problems

    def completed_files(self) -> list[bytes]:
        """The bytes of every file shared through files.completeUploadExternal, in order."""
        with self._lock:
            return [self.uploads[f] or b"" for f in self._completed_order()]

    def _completed_order(self) -> list[str]:
        order = []
        for call in self.calls:
            if call.method == "files.completeUploadExternal":
                files = call.json_field("files") or []
                order += [str(f["id"]) for f in files if str(f.get("id")) in self._completed]
        return order

    def _history(self, channel: str) -> list[dict[str, Any]]:
        """What chat.postMessage put into `channel`, newest first, with its metadata."""
        with self._lock:
            posts = [c for c in self.calls if c.method == "chat.postMessage"]
        messages = []
        for post in reversed(posts):
            if post.body.get("channel") != channel:
                continue
            message: dict[str, Any] = {"type": "message", "text": post.body.get("text", "")}
            metadata = post.json_field("metadata")
            if metadata:
                message["metadata"] = metadata
            messages.append(message)
        return messages

    def _ok(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        n = next(self._ids)
        base = self.url.removesuffix("/api/")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://hokoku-test.slack.com/",
                "team": "hokoku-test",
                "user": "hokoku",
                "team_id": "T0TEST",
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        if method == "apps.connections.open":
            if self.socket_url is None:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "X"))}}
        if method == "chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": f"1700000000.{n:06d}"}
        if method == "conversations.history":
            return {"ok": True, "messages": self._history(str(body.get("channel")))}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{n:06d}"}
        if method in {"views.open", "views.push", "views.publish", "views.update"}:
            view_id = body.get("view_id") or f"V{n:08d}"
            return {"ok": True, "view": {"id": view_id, "hash": f"h{n}"}}
        if method == "files.getUploadURLExternal":
            with self._lock:
                self._declared[f"F{n}"] = int(body["length"])
                self.uploads[f"F{n}"] = None
            return {"ok": True, "upload_url": f"{base}/upload/F{n}", "file_id": f"F{n}"}
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files", "[]"))
            return {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title", "")} for f in files],
            }
        return {"ok": True}
