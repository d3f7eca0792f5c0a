"""SQLite's writer lock of a process is taken in the order it was asked for."""

from __future__ import annotations

import threading
from collections.abc import Callable

from models.db import QueueLock


def _waiting(lock: QueueLock) -> int:
    with lock._guard:
        return len(lock._waiting)


def _until(check: Callable[[], bool]) -> None:
    while not check():
        threading.Event().wait(0.001)


def test_waiters_take_the_lock_in_the_order_they_asked() -> None:
    lock = QueueLock()
    assert lock.acquire(timeout=1)
    order: list[str] = []

    def writer(name: str) -> None:
        assert lock.acquire(timeout=10)
        order.append(name)
        lock.release()

    threads = []
    for n, name in enumerate(["first", "second", "third"], start=1):
        thread = threading.Thread(target=writer, args=(name,))
        thread.start()
        threads.append(thread)
        _until(lambda n=n: _waiting(lock) == n)  # queued behind the ones before
    lock.release()
    for thread in threads:
        thread.join()
    assert order == ["first", "second", "third"]
    assert lock.acquire(timeout=0)  # free again
    lock.release()


def test_a_waiter_that_gives_up_leaves_the_queue() -> None:
    lock = QueueLock()
    assert lock.acquire(timeout=1)
    assert not lock.acquire(timeout=0.01)
    assert _waiting(lock) == 0
    lock.release()
    assert lock.acquire(timeout=0)
    lock.release()
