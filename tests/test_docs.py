"""The documentation holds together: the README stays short, every link in it and in docs/
resolves, and the CLI reference says what the commands' own help says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
README_LINES = 250

_FENCE = re.compile(r"^(```|~~~).*?^\1", flags=re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", flags=re.MULTILINE)


def _prose(text: str) -> str:
    """The text without code blocks (a heading or a link inside them is not one)."""
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped (letters of any
    script, digits, `_`, `-` and spaces stay), spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a Markdown file, repeats numbered as GitHub does (-1, -2…)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in _HEADING.findall(_prose(path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    prose = _CODE.sub("", _prose(path.read_text(encoding="utf-8")))
    return _LINK.findall(prose)


def test_the_readme_fits_on_a_screen() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_LINES, (
        f"README.md has {lines} lines (at most {README_LINES}): move the detail to docs/"
    )


def test_the_link_checker_reads_links_and_headings_as_github_does() -> None:
    assert slug("The committee's year / 委員会資料") == "the-committees-year--委員会資料"
    assert slug("For scripts: `--json`") == "for-scripts---json"
    assert slug("hokoku round edit-schedule") == "hokoku-round-edit-schedule"
    assert slug("LINE での設定 / Set up in LINE") == "line-での設定--set-up-in-line"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_resolves(document: Path) -> None:
    assert document.exists()
    broken = []
    for target in links(document):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # https://, mailto: — outside the repository
        file_part, _, anchor = target.partition("#")
        resolved = (document.parent / file_part).resolve() if file_part else document
        if not resolved.is_relative_to(REPO) or not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert broken == [], f"broken links in {document.name}"


def test_the_cli_reference_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.reference", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (
        "docs/cli.md differs from the commands' help: run `make cli-reference` and commit it\n"
        + done.stdout
        + done.stderr
    )
