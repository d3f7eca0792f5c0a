"""Serve an ASGI app (the real `hokoku serve` app) under uvicorn on a free localhost port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

STARTUP_TIMEOUT = 20.0


@contextmanager
def running_asgi(app: Any) -> Iterator[str]:
    """Yield the base URL while uvicorn (lifespan on) serves `app` in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    waited = 0.0
    while not started.wait(0.01):
        waited += 0.01
        if server.started:
            started.set()
        elif not thread.is_alive() or waited > STARTUP_TIMEOUT:
            raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
