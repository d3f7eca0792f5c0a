"""A local HTTP recorder that stands in for a push API with an idempotency key.

It behaves like LINE's push endpoint with `X-Line-Retry-Key`: the first request with a
key is delivered (recorded, answered 200 after a delay, so that a killed client may never
see the answer); a request repeating a delivered key is answered 409 and not delivered
again. `RecorderMessenger` is the matching client used by the crash tests.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any

from handlers.ports import DeliveryError, OutboundMessage, Target
from tests.fakes.http_server import FakeHttpServer


class Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.delivered: list[str] = []
        self.requests: list[str] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                key = self.headers.get("X-Retry-Key", "")
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with recorder.lock:
                    recorder.requests.append(key)
                    duplicate = key in recorder.delivered
                    if not duplicate:
                        recorder.delivered.append(key)
                if not duplicate and recorder.delay:
                    time.sleep(recorder.delay)
                self.send_response(409 if duplicate else 200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = FakeHttpServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/push"

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered_counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.delivered)


class RecorderMessenger:
    """POSTs every message to the recorder with the notification key as retry key."""

    def __init__(self, url: str, platform: str = "line") -> None:
        self.url = url
        self.platform = platform

    def send(
        self, target: Target, message: OutboundMessage, *, key: str, resend: bool = False
    ) -> None:
        body = json.dumps({"to": target.external_id, "type": type(message).__name__}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"X-Retry-Key": key}
        )
        try:
            with urllib.request.urlopen(request, timeout=30):
                return
        except urllib.error.HTTPError as exc:
            if exc.code == 409:
                return  # already delivered under this key: success, not a second message
            raise DeliveryError(f"HTTP {exc.code}", permanent=exc.code < 500) from exc
