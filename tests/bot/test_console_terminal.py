"""`hokoku console` on a real terminal (a pseudo-terminal): line editing and history work.

Without readline, ↑ arrives as the bytes ESC [ A and the bot answers `^[[A` with "cannot
read this line". Here ↑ + Enter recalls the previous message and sends it again.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.db import transaction
from tests.conftest import Db
from tests.factories import build_plan, open_test_round

PROMPT = "女性センター>".encode()
TIMEOUT = 60.0  # generous: a wait for output, not a speed requirement

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


class Terminal:
    """A child process on a pseudo-terminal; reads everything it prints."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.output = b""

    def wait_for(self, count: int) -> None:
        """Read until the prompt has been shown `count` times."""
        deadline = time.monotonic() + TIMEOUT
        while self.output.count(PROMPT) < count and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    break
        assert self.output.count(PROMPT) >= count, self.output.decode(errors="replace")

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> int:
        try:
            return self.process.wait(TIMEOUT)
        finally:
            os.close(self.master)


def test_arrow_up_recalls_the_previous_message(db: Db, tmp_path: Path) -> None:
    with transaction(db.factory) as s:
        plan = build_plan(s, items=[("広報紙で周知", ["女性センター"]), ("講座", ["女性センター"])])
        open_test_round(s, plan)
    hokoku = Path(sys.executable).with_name("hokoku")
    env = {
        **os.environ,
        "HOKOKU_DATABASE_URL": db.url,
        "TERM": "xterm",
        "LC_ALL": "C.UTF-8",  # readline edits characters, not bytes
        "HOME": str(tmp_path),  # no user's ~/.inputrc
        "INPUTRC": "/dev/null",
    }
    term = Terminal([str(hokoku), "console", "--dept", "女性センター", "--as", "tanaka"], env)
    term.wait_for(1)
    term.type("1 B 広報紙に掲載\r".encode())
    term.wait_for(2)
    term.type(b"\x1b[A\x7f\x7f" + "年4回掲載\r".encode())  # ↑, 2 × backspace (掲載), then type
    term.wait_for(3)
    term.type(b"exit\r")
    assert term.close() == 0
    text = term.output.decode(errors="replace")
    assert "^[[A" not in text and "読み取れません" not in text
    assert "・[1] 広報紙で周知 → B「広報紙に掲載」 … 保存" in text
    assert "・[1] 広報紙で周知 → B「広報紙に年4回掲載」 … 修正（第2版）" in text
