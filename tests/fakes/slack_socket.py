"""A local stand-in for Slack's Socket Mode endpoint (the `url` of `apps.connections.open`).

A real websocket server (the `websockets` library, sync API, one thread per connection):
on connect it sends `hello` like Slack, then whatever envelopes the test pushes with
`send(...)`; every text frame the client sends back is recorded as an ack
(`{"envelope_id": …, "payload": …}`), and `closed` counts connections the client ended.
Frames are exactly what https://docs.slack.dev/apis/events-api/using-socket-mode/ shows.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

WAIT = 15.0


class FakeSocketModeServer:
    def __init__(self, *, app_id: str = "A0TEST") -> None:
        self.app_id = app_id
        self.acks: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.closed = 0
        self._connection: ServerConnection | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self._server: Server = serve(self._session, "127.0.0.1", 0)
        port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeSocketModeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    # ------------------------------------------------------------------ one connection

    def _session(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connection = connection
            self.paths.append(connection.request.path if connection.request else "")
            self._lock.notify_all()
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        try:
            for frame in connection:
                ack = json.loads(frame)
                with self._lock:
                    self.acks.append(ack)
                    self._lock.notify_all()
        except ConnectionClosed:  # the client dropped the TCP connection without a close frame
            pass
        finally:
            with self._lock:
                self.closed += 1
                if self._connection is connection:
                    self._connection = None
                self._lock.notify_all()

    # ------------------------------------------------------------------ test controls

    def wait_connected(self, count: int = 1) -> None:
        with self._lock:
            ok = self._lock.wait_for(lambda: len(self.paths) >= count, timeout=WAIT)
        assert ok, f"expected {count} Socket Mode connection(s), got {len(self.paths)}"

    def wait_closed(self, count: int = 1) -> None:
        with self._lock:
            ok = self._lock.wait_for(lambda: self.closed >= count, timeout=WAIT)
        assert ok, "the Socket Mode client never closed its connection"

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connection is not None

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Push one envelope (`events_api`, `slash_commands`, `interactive`); its envelope_id."""
        envelope_id = envelope_id or f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        with self._lock:
            connection = self._connection
        assert connection is not None, "no Socket Mode client is connected"
        connection.send(json.dumps(envelope, ensure_ascii=False))
        return envelope_id

    def send_raw(self, message: dict[str, Any]) -> None:
        """A frame that is not an envelope, e.g. `{"type": "disconnect", …}`."""
        with self._lock:
            connection = self._connection
        assert connection is not None, "no Socket Mode client is connected"
        connection.send(json.dumps(message))

    def wait_ack(self, envelope_id: str) -> dict[str, Any]:
        """The client's ack for this envelope (blocks until it arrives)."""

        def found() -> list[dict[str, Any]]:
            return [a for a in self.acks if a.get("envelope_id") == envelope_id]

        with self._lock:
            self._lock.wait_for(lambda: bool(found()), timeout=WAIT)
            acks = found()
        assert acks, f"envelope {envelope_id} was never acknowledged"
        return acks[0]

    def acks_of(self, envelope_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [a for a in self.acks if a.get("envelope_id") == envelope_id]
