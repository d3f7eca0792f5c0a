"""What hokoku passes its listeners through bolt's context, without a copy, and the work
that follows an acknowledgement.

Three things, each under its own key, which a global middleware (`RuntimeMiddleware`) puts
there for every listener, so listeners are plain module-level functions: the runtime, the
executor that runs what follows an ack (`after_ack`: posting a reply with a chart or a Home
tab to refresh, opening or turning a form, publishing the Home tab), and the process that
posts plain replies when the server runs one (`reply_process_of`, bot.slack.reply_process).

`after_ack` is what hokoku has instead of bolt's lazy listeners: before it runs a lazy
listener, bolt copies the request and builds every argument a listener could ask for (the
payload's action, view, options, shortcut …), about 5% of a DM answer's CPU, where the work
after an ack needs only the runtime, the request's client and what was committed. The work
goes to bolt's listener executor at the moment bolt would start a lazy listener (the ack
listener's end): it never delays the answer Slack waits for.

A context copy (bolt's `to_copyable`, made for a lazy listener should one be registered)
deep-copies every custom value; the runtime holds the engine and must not be copied, so
each value travels wrapped in `_Shared`, which copies as itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.runtime import Runtime
from bot.slack.reply_process import ReplyProcess

RUNTIME = "hokoku_runtime"  # context key: the Runtime, for every listener
EXECUTOR = "hokoku_executor"  # context key: where work after the ack runs
REPLY_PROCESS = "hokoku_reply_process"  # context key: the process that posts plain replies

logger = logging.getLogger(__name__)


class _Shared:
    """Copied as itself: what it holds is never changed after it is handed over."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __copy__(self) -> _Shared:
        return self

    def __deepcopy__(self, _memo: dict[int, Any]) -> _Shared:
        return self


class RuntimeMiddleware(Middleware):
    """A global middleware (`app.use`): every request's context holds the runtime, the
    executor that runs what a listener leaves for after its ack (bolt's listener executor)
    and the reply process, when there is one."""

    def __init__(
        self, runtime: Runtime, executor: Executor, reply_process: ReplyProcess | None = None
    ) -> None:
        self._runtime = runtime
        self._executor = executor
        self._reply_process = reply_process

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        put_runtime(req.context, self._runtime, self._executor, self._reply_process)
        return next()


def _run_logged(work: Callable[[], None]) -> None:
    """An executor drops what its work raises: say it here (what bolt does for a lazy
    listener)."""
    try:
        work()
    except Exception:
        logger.exception("work after the acknowledgement failed")


def put_runtime(
    context: BoltContext,
    runtime: Runtime,
    executor: Executor | None = None,
    reply_process: ReplyProcess | None = None,
) -> None:
    """What RuntimeMiddleware does for each request (and a test calling a listener alone)."""
    context[RUNTIME] = _Shared(runtime)
    if executor is not None:
        context[EXECUTOR] = _Shared(executor)
    if reply_process is not None:
        context[REPLY_PROCESS] = _Shared(reply_process)


def reply_process_of(context: BoltContext) -> ReplyProcess | None:
    """The process that posts plain replies, when the server runs one."""
    shared = context.get(REPLY_PROCESS)
    if shared is None:
        return None
    assert isinstance(shared, _Shared) and isinstance(shared.value, ReplyProcess)
    return shared.value


def runtime_of(context: BoltContext) -> Runtime:
    """The runtime RuntimeMiddleware put in this request's context (or its lazy copy)."""
    shared = context[RUNTIME]
    assert isinstance(shared, _Shared) and isinstance(shared.value, Runtime)
    return shared.value


def after_ack(context: BoltContext, work: Callable[[], None]) -> None:
    """Run `work` in the listener executor, off the request's thread; a listener calls this
    last, with what it committed, and bolt answers Slack while it runs (as with a lazy
    listener, which bolt starts at the same moment)."""
    executor = context[EXECUTOR]
    assert isinstance(executor, _Shared) and isinstance(executor.value, Executor)
    executor.value.submit(_run_logged, work)
