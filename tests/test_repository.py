"""A clone works alone: nothing tracked reads or links outside the repository, and the
Makefile's two commands install what they need (the demo no dev tools, the tests all)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The team's reading folder beside the clone; spelled in pieces so this file does not match.
OUTSIDE = ("..", "/shared")
ABSOLUTE = ("/work", "/shared")
PROVENANCE = {"bot/samples/SOURCES.md"}  # says where the samples were copied from


def tracked_files() -> list[Path]:
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout (the check reads `git ls-files`)")
    out = subprocess.run(
        [git, "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [REPO / name for name in out.split("\0") if name]


def test_nothing_tracked_refers_to_the_shared_folder() -> None:
    outside = "".join(OUTSIDE)
    folders = re.compile(r"\bshare[d]/(samples|seeds|docs)\b")
    offenders = []
    for path in tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        relative = path.relative_to(REPO).as_posix()
        reads_outside = outside in text or "".join(ABSOLUTE) in text
        names_folder = relative not in PROVENANCE and folders.search(text) is not None
        if reads_outside or names_folder:
            offenders.append(relative)
    assert offenders == []


def test_readme_links_stay_inside_the_repository() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme) + re.findall(r"<(\w+://[^>]+)>", readme)
    assert targets, "no links found: the pattern no longer matches the README"
    for target in targets:
        if re.match(r"https?://", target):
            continue  # the platforms' own documentation
        assert "://" not in target, target
        resolved = (REPO / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(REPO) and resolved.exists(), target


def make_dry_run(tmp_path: Path, target: str) -> str:
    """`make -n TARGET` in a copy of the build files with a venv that does not exist yet."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}  # under make test
    return subprocess.run(
        [make, "-n", "--no-print-directory", target],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_demo_installs_the_runtime_only(tmp_path: Path) -> None:
    commands = make_dry_run(tmp_path, "demo").splitlines()
    assert ".venv/bin/pip install --quiet -e ." in commands
    assert not [c for c in commands if "[dev]" in c or c.startswith(".venv/bin/pytest")]
    assert commands[-1] == ".venv/bin/hokoku demo"


def test_make_test_installs_the_dev_tools_and_runs_the_gate(tmp_path: Path) -> None:
    commands = make_dry_run(tmp_path, "test")
    assert "pip install --quiet -e '.[dev]'" in commands
    for tool in ("ruff check .", "ruff format --check .", "mypy", "pytest"):
        assert f".venv/bin/{tool}" in commands


def test_ci_runs_make_test_with_ci_true() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert 'export CI="${CI:-true}"' in script
    assert script.strip().splitlines()[-1] == "make test"
