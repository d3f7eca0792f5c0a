"""The README's "Try it" script runs verbatim, in order, in a fresh directory.

The block marked `<!-- try-it -->` is taken out of README.md as it is and run with
`bash -euo pipefail` in an empty temporary directory holding only `.venv` (this checkout's
virtualenv, as `make demo` leaves it in a clone), against a new SQLite database.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKER = "<!-- try-it"


def try_it_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Try it") :]
    after = section[section.index(MARKER) :]
    match = re.search(r"```sh\n(.*?)```", after, flags=re.DOTALL)
    assert match is not None, "the try-it block is gone from README.md"
    return match.group(1)


def test_try_it_runs_verbatim_in_a_fresh_directory(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    venv = Path(sys.prefix)
    assert (venv / "bin" / "hokoku").exists(), f"hokoku is not installed in {venv}"
    (tmp_path / ".venv").symlink_to(venv, target_is_directory=True)
    script = tmp_path / "try-it.sh"
    script.write_text(try_it_block(), encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HOKOKU_", "SLACK_", "LINE_", "VIRTUAL_ENV"))
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(venv))
    )  # `hokoku` only comes onto PATH through the block's own `. .venv/bin/activate`
    done = subprocess.run(
        [bash, "-euo", "pipefail", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout.replace("\n", "")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"新しいデータベースを作りました: {tmp_path / 'hokoku.db'}" in done.stderr
    assert "nishitokyo_plan.csv" in out  # hokoku samples
    assert "111" in out and "35" in out and "216" in out  # items, departments, assignments
    assert "の回を開きました" in out and "報告枠 206件" in out
    assert "→ B「情報誌を年4回発行」 … 保存" in out and "→ A「市報・HPで周知」 … 保存" in out
    assert "→ B「関連図書の展示」 … 保存" in out
    assert "招待コード:" in out and "秘書広報課" in out
    assert "回答 3 / 206 件" in out and "あと28日" in out  # never overdue
    assert "ファイル: " + str(tmp_path / "hokoku.db") in out and "（最新）" in out
    assert "件数: 計画 1、回 1、報告枠 206" in out
