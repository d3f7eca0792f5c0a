"""What an ack listener hands its lazy listeners through bolt's context, without a copy.

bolt deep-copies every custom context value for each lazy listener it starts (so a lazy
listener cannot change what another sees); a committed reply is immutable (frozen
dataclasses and tuples), and copying one (a `/hokoku status` summary, a stored page of
answers) cost more CPU per request than the statements that built it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext


class _Shared:
    """Copied as itself: what it holds is never changed after it is handed over."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __copy__(self) -> _Shared:
        return self

    def __deepcopy__(self, _memo: dict[int, Any]) -> _Shared:
        return self


def hand_over(context: BoltContext, key: str, value: object) -> None:
    """Give the lazy listeners `value` (immutable) under `key`."""
    context[key] = _Shared(value)


def handed(context: BoltContext, key: str) -> Any:
    """What the ack listener handed over under `key`; None when it handed nothing."""
    shared = context.get(key)
    return shared.value if isinstance(shared, _Shared) else None
