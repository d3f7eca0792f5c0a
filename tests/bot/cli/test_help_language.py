"""The CLI's help comes from the catalog: Japanese by default, English with
HOKOKU_LANGUAGE=en (read when the commands are defined, so each run is a new process)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def help_of(*args: str, language: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "HOKOKU_LANGUAGE"}
    if language:
        env["HOKOKU_LANGUAGE"] = language
    env["COLUMNS"] = "1000"
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize(
    ("args", "japanese", "english"),
    [
        ((), "Slack・LINE・コンソールで集めるボット", "collects the yearly progress report"),
        (("report", "set"), "代理入力する", "plan and progress (default: keep the stored"),
        (("round", "open"), "締切日（例: 2024-05-31", "the deadline (e.g. 2024-05-31"),
        (("dept", "invite"), "招待コード", "A one-time code"),
    ],
)
def test_help_follows_hokoku_language(args: tuple[str, ...], japanese: str, english: str) -> None:
    assert japanese in help_of(*args, language=None)
    english_help = help_of(*args, language="en")
    assert english in english_help and japanese not in english_help
