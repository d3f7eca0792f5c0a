"""docs/cli.md, the CLI reference, generated from the commands' own help.

`make cli-reference` (`python -m bot.cli.reference`) rewrites it; `--check` exits 1 when the
file differs from what the commands say now (tests/test_docs.py runs that). Every command and
subcommand is loaded (the top-level group otherwise imports a command only when it runs) and
its `--help` rendered as click's plain text, in English, at a fixed width, so the file only
changes when a command or its help does.

The help texts are read from the catalogs when `bot.cli` is imported, so the language and
width must be set before that: `main` re-runs this module in a fresh interpreter with them
when the environment does not have them already.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WIDTH = 100
ENVIRONMENT = {"HOKOKU_LANGUAGE": "en", "TERMINAL_WIDTH": str(WIDTH), "COLUMNS": str(WIDTH)}
TARGET = Path(__file__).resolve().parents[2] / "docs/cli.md"

INTRO = """\
# CLI reference

Every `hokoku` command with its options, as `hokoku … --help` prints them with
`HOKOKU_LANGUAGE=en` (without it, the same help is in Japanese). Generated from the commands'
own help by `make cli-reference`; do not edit by hand. What the commands are for, in the order
of the office's year, is in the [office guide](office-guide.md).
"""


# Commands and contexts are typed Any: Typer builds them on its own copy of click.


def _commands(command: Any, ctx: Any) -> Iterator[tuple[Any, Any]]:
    """The command, then every subcommand, depth first, in the order `--help` lists them."""
    yield command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from _commands(sub, _context(sub, name, ctx))


def _context(command: Any, name: str, parent: Any) -> Any:
    return command.context_class(
        command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH
    )


def _plain_help(command: Any, ctx: Any) -> str:
    """click's plain help (Typer's rich panels are for terminals, not for Markdown)."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    return str(command.get_help(ctx)).rstrip()


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def render() -> str:
    """The whole reference, every command loaded."""
    import typer

    from bot.cli import COMMANDS, app, load_command

    root: Any = typer.main.get_command(app)
    for name in COMMANDS:  # load every command now: none stays a placeholder
        root.commands[name] = load_command(name)
    sections = list(_commands(root, _context(root, "hokoku", None)))
    titles = [ctx.command_path for _, ctx in sections]
    lines = [INTRO, "## Commands", ""]
    for title in titles:
        depth = title.count(" ")
        indent = "  " * max(depth - 1, 0)
        lines.append(f"{indent}- [{title}](#{_slug(title)})")
    lines.append("")
    for (command, ctx), title in zip(sections, titles, strict=True):
        lines += [f"## {title}", "", "```text", _plain_help(command, ctx), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cli.reference", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=TARGET, help="default: docs/cli.md")
    args = parser.parse_args(argv)
    if any(os.environ.get(key) != value for key, value in ENVIRONMENT.items()):
        # bot.cli read its help texts at import, in the environment's language: start over.
        env = {**os.environ, **ENVIRONMENT}
        command = [sys.executable, "-m", "bot.cli.reference", *(argv or sys.argv[1:])]
        os.execve(sys.executable, command, env)
    text = render()
    target: Path = args.output
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == text:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(), text.splitlines(), str(target), "the commands' help", lineterm=""
        )
        print("\n".join(list(diff)[:60]))
        print(f"{target} is out of date: run `make cli-reference` and commit it.")
        return 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
