"""What hokoku passes its listeners through bolt's context, without a copy.

Two things, each under its own key: the runtime, which a global middleware
(`RuntimeMiddleware`) puts there for every listener, so listeners are plain module-level
functions; and what an ack listener hands its lazy listeners (`hand_over` / `handed`: a
committed reply, or a `Posting` of one).

bolt deep-copies every custom context value for each lazy listener it starts (so a lazy
listener cannot change what another sees). The runtime holds the engine and must not be
copied; a committed reply is immutable (frozen dataclasses and tuples), and copying one (a
`/hokoku status` summary, a stored page of answers) cost more CPU per request than the
statements that built it. Both travel wrapped in `_Shared`, which copies as itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.runtime import Runtime

RUNTIME = "hokoku_runtime"  # context key: the Runtime, for every listener
HANDED = "hokoku_reply"  # context key: what the ack listener hands its lazy listeners


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
    """A global middleware (`app.use`): every request's context holds the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        put_runtime(req.context, self._runtime)
        return next()


def put_runtime(context: BoltContext, runtime: Runtime) -> None:
    """What RuntimeMiddleware does for each request (and a test calling a listener alone)."""
    context[RUNTIME] = _Shared(runtime)


def runtime_of(context: BoltContext) -> Runtime:
    """The runtime RuntimeMiddleware put in this request's context (or its lazy copy)."""
    shared = context[RUNTIME]
    assert isinstance(shared, _Shared) and isinstance(shared.value, Runtime)
    return shared.value


def hand_over(context: BoltContext, value: object) -> None:
    """Give the lazy listeners `value` (immutable)."""
    context[HANDED] = _Shared(value)


def handed(context: BoltContext) -> Any:
    """What the ack listener handed over; None when it handed nothing."""
    shared = context.get(HANDED)
    return shared.value if isinstance(shared, _Shared) else None
