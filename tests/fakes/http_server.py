"""The HTTP server under the fake platform APIs: many connections at once, like the real ones.

`ThreadingHTTPServer` listens with a backlog of 5; the outbox sends concurrently (up to
HOKOKU_SEND_WORKERS connections per platform), and the connections over the backlog
would be reset, which no real platform API does.
"""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class FakeHttpServer(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True
