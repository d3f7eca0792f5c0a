"""Replies posted by a process of their own, beside the server (HOKOKU_SLACK_REPLY_PROCESS).

Posting a reply (`chat.postMessage` through slack_sdk, its HTTP connection opened and
closed) cost the serving process a third of a DM answer's CPU and 40% of a form page's,
all of it spent after the ack while the next requests waited for the interpreter
(docs/performance.md). A plain reply is laid out by the listener (bot.slack.posting)
and handed, as one JSON line, to a child process (`bot.slack.reply_worker`) that posts
it; the server's interpreter goes back to the requests.

What is handed over is only what was committed: the guarantee is the one the server's
own thread gives (a reply is posted once, after its answer is stored). A reply with a
chart, or one that must refresh the Home tab, is still posted by the server, which holds
the database. A request's thread never waits for the child: a thread of this process
writes to the pipe, so a child held up by Slack (rate limits, an outage) holds up no ack;
past MAX_WAITING replies waiting for it, or when it cannot be started, the server posts
them itself. A child that died is replaced at the next reply, and the replies still
waiting for it go to the new one. At stop, the child is given the time to post what it
holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bot.settings import Settings

logger = logging.getLogger(__name__)
STOP_SECONDS = 10.0  # at stop: how long the child may take to post what it holds
MAX_WAITING = 1000  # replies waiting for the child before the server posts them itself


class _Feed:
    """One child and what writes to its pipe, in order: the caller's thread when the pipe
    takes a whole line at once (the usual case: no thread to wake), else a writer thread,
    which also takes every line after it until it has caught up."""

    def __init__(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stdin is not None and child.stdout is not None
        self.child = child
        self._pipe = child.stdin.fileno()
        self._guard = threading.RLock()
        self._lines: queue.SimpleQueue[tuple[bytes, int] | None] = queue.SimpleQueue()
        self._queued = 0  # lines in the writer's hands (their order must hold)
        self.handed = 0  # lines given to the feed
        self.written = 0  # of them, written to the pipe
        self.done = 0  # of them, posted or given up by the child (one byte each on its stdout)
        self.unsent: list[bytes] = []  # what could not be written (the child died)
        self.broken = False
        os.set_blocking(self._pipe, False)
        os.set_blocking(child.stdout.fileno(), False)
        self.writer = threading.Thread(target=self._write, name="slack-reply-feed", daemon=True)
        self.writer.start()

    def alive(self) -> bool:
        return not self.broken and self.child.poll() is None

    def waiting(self) -> int:
        """Lines not yet written to the pipe."""
        return self.handed - self.written

    def put(self, line: bytes) -> None:
        """Write `line` now if the pipe takes it whole, else hand it to the writer thread."""
        with self._guard:
            self.handed += 1
            sent = 0
            if not self._queued:
                try:
                    sent = os.write(self._pipe, line)
                except BlockingIOError:
                    sent = 0
                except OSError:  # the child is gone: the next one gets it
                    self.unsent.append(line)
                    self.broken = True
                    return
                if sent == len(line):
                    self.written += 1
                    self.count_done()  # keeps its stdout from filling up
                    return
            self._queued += 1
            self._lines.put((line, sent))

    def leftovers(self) -> list[bytes]:
        """The lines a dead child never got, to hand to the next one (its writer ends)."""
        self._lines.put(None)
        self.writer.join(1.0)  # writing to a dead child fails at once
        left = list(self.unsent)
        with contextlib.suppress(queue.Empty):
            while True:
                item = self._lines.get_nowait()
                if item is not None:
                    left.append(item[0])
        return left

    def close(self) -> None:
        """The writer writes what it holds, then closes the pipe: the child posts what it
        read, then ends."""
        self._lines.put(None)

    def count_done(self) -> None:
        """Read the child's done-bytes that arrived (never waits)."""
        assert self.child.stdout is not None
        with self._guard, contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(self.child.stdout.fileno(), 65536):
                self.done += len(chunk)

    def _write(self) -> None:
        while (item := self._lines.get()) is not None:
            line, sent = item
            try:
                self._write_all(line, sent)
            except OSError as exc:
                logger.warning("the reply process is gone (%s); a new one takes over", exc)
                with self._guard:
                    self.unsent.append(line)
                    self.broken = True
                return
            with self._guard:
                self._queued -= 1
                self.written += 1
                self.count_done()
        assert self.child.stdin is not None
        with contextlib.suppress(OSError):
            self.child.stdin.close()  # its buffer is empty: every write went to the fd

    def _write_all(self, line: bytes, sent: int) -> None:
        """Write the rest of `line`, waiting for the pipe as long as it takes."""
        ready = select.poll()
        ready.register(self._pipe, select.POLLOUT)
        while sent < len(line):
            try:
                sent += os.write(self._pipe, line[sent:])
            except BlockingIOError:
                ready.poll()


class ReplyProcess:
    """The child process and what feeds it; a BackgroundService of the server."""

    name = "slack-reply-process"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._feed: _Feed | None = None
        self._running = False

    def start(self) -> None:
        with self._lock:
            self._running = True
            self._feed = self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._running = False
            feed, self._feed = self._feed, None
        if feed is None:
            return
        deadline = time.monotonic() + STOP_SECONDS
        feed.close()
        feed.writer.join(STOP_SECONDS)
        try:
            feed.child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("the reply process did not finish in %s s; stopped", STOP_SECONDS)
            feed.child.kill()
            feed.child.wait()

    @property
    def pid(self) -> int | None:
        feed = self._feed
        return feed.child.pid if feed is not None and feed.alive() else None

    def health(self) -> dict[str, object]:
        """For `/healthz`: whether a child runs, and how many replies it has yet to post."""
        feed = self._feed
        if feed is None or not feed.alive():
            return {"running": False, "waiting": 0}
        feed.count_done()
        return {"running": True, "waiting": feed.handed - feed.done}

    @property
    def handed(self) -> int:
        """Replies handed to the current child (a new child starts from its leftovers)."""
        feed = self._feed
        return feed.handed if feed is not None else 0

    def send(self, job: dict[str, Any]) -> bool:
        """Hand one rendered reply over, without waiting; False when the child cannot take
        it (not running, too many waiting, cannot be started): the caller posts it."""
        line = json.dumps(job, ensure_ascii=False).encode() + b"\n"
        with self._lock:
            if not self._running:
                return False
            feed = self._feed
            if feed is None or not feed.alive():
                feed = self._feed = self._spawn(feed.leftovers() if feed is not None else [])
                if feed is None:
                    return False
            if feed.waiting() >= MAX_WAITING:
                return False
            feed.put(line)
        return True

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until the child has posted (or given up on) every reply handed to it;
        False after `timeout` or when it died first."""
        deadline = time.monotonic() + timeout
        while True:
            feed = self._feed
            if feed is None:
                return True
            feed.count_done()
            if feed.done >= feed.handed:
                return True
            left = deadline - time.monotonic()
            if left <= 0 or not feed.alive():
                return False
            waiting = select.poll()  # until a done-byte arrives (or 0.1 s)
            assert feed.child.stdout is not None
            waiting.register(feed.child.stdout, select.POLLIN)
            waiting.poll(min(left, 0.1) * 1000)

    def _spawn(self, leftovers: list[bytes] | None = None) -> _Feed | None:
        """A new child (under the lock) given `leftovers` first; None if it cannot start
        (the server then posts every reply itself)."""
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "bot.slack.reply_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_child_environment(self._settings),
            )
        except OSError as exc:
            logger.warning("the reply process could not start (%s); replies are posted here", exc)
            return None
        feed = _Feed(child)
        for line in leftovers or []:
            feed.put(line)
        return feed


def _child_environment(settings: Settings) -> dict[str, str]:
    """The server's environment, with the settings the child needs as the server has them
    (they may have come from arguments rather than the environment)."""
    env = dict(os.environ)
    # The child imports hokoku as the server did, installed or not (a checkout's root).
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    assert settings.slack_bot_token is not None  # the Slack app was built with it
    env.update(
        SLACK_BOT_TOKEN=settings.slack_bot_token.get_secret_value(),
        SLACK_API_URL=settings.slack_api_url,
        HOKOKU_LOG_LEVEL=settings.log_level,
        HOKOKU_LOG_FORMAT=settings.log_format,
    )
    return env
