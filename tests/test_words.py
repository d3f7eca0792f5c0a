"""Every word a person reads comes from the message catalogs: no Japanese literal in the
command line's code (bot/cli) and no literal sentence in an error (`raise`, or an error
built to be raised) anywhere in bot/, scheduler/ and handlers/.

What people read is a message id rendered in their language (HOKOKU_LANGUAGE, a chat
user's choice); a Japanese string in the code would reach an English reader as it is.
Docstrings are for developers and are not checked; parsing tables (header words such as
担当課 that a file may use) lives in handlers/, outside bot/cli, and is not output.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import handlers.errors
from tests.languages import JAPANESE

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("bot", "scheduler", "handlers")
CLI = "bot/cli/"

# The user-facing errors: building one with a sentence is as bad as raising it.
ERRORS = {
    name
    for name, value in vars(handlers.errors).items()
    if inspect.isclass(value) and issubclass(value, handlers.errors.HokokuError)
} | {"PdfUnavailable", "ValueError"}


def sources() -> Iterator[tuple[str, ast.Module]]:
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            yield name, ast.parse(path.read_text(encoding="utf-8"))


def docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        if isinstance(node, kinds) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def japanese(node: ast.AST, *, skip: set[int] = frozenset()) -> list[ast.Constant]:  # type: ignore[assignment]
    return [
        c
        for c in ast.walk(node)
        if isinstance(c, ast.Constant)
        and isinstance(c.value, str)
        and id(c) not in skip
        and JAPANESE.search(c.value)
    ]


def called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def test_the_command_line_prints_no_japanese_of_its_own() -> None:
    found = [
        f"{name}:{constant.lineno}: {constant.value!r}"
        for name, tree in sources()
        if name.startswith(CLI)
        for constant in japanese(tree, skip=docstrings(tree))
    ]
    assert found == [], "put these words in the catalogs (cli.* ids):\n" + "\n".join(found)


def test_no_error_is_a_literal_sentence() -> None:
    found = []
    for name, tree in sources():
        for node in ast.walk(tree):
            raised = isinstance(node, ast.Raise) and node.exc is not None
            built = isinstance(node, ast.Call) and called(node) in ERRORS
            if raised or built:
                found += [f"{name}:{c.lineno}: {c.value!r}" for c in japanese(node)]
    assert sorted(set(found)) == [], "raise msg(id, ...) instead:\n" + "\n".join(found)
