"""The chat adapters translate and lay out; they decide nothing and write no sentence.

What can be checked by reading the code is checked here: bot/slack, bot/line and the
console hold no ORM query, no permission rule and no user-facing Japanese text (every text
comes from the catalogs through handlers/), and only bot/ imports a chat SDK.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = [
    *sorted((ROOT / "bot" / "slack").rglob("*.py")),
    *sorted((ROOT / "bot" / "line").rglob("*.py")),
    ROOT / "bot" / "console.py",
    ROOT / "bot" / "intake.py",
    ROOT / "bot" / "server.py",
]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
QUERIES = re.compile(
    r"\bsession\.(execute|scalar|scalars|get|get_one|query|add|delete|flush)\(|\bselect\(|"
    r"from sqlalchemy import|from models import (?!utcnow$)"
)
RULES = re.compile(r"\bis_office\b|\bROLE_(OFFICE|MEMBER)\b|\.role\b|\bis_closed\b|closed_at")
SDKS = re.compile(r"^\s*(from|import) (slack_bolt|slack_sdk|linebot)\b", re.MULTILINE)


def _strings(path: Path) -> list[tuple[int, str]]:
    """String literals that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def _code(path: Path) -> list[tuple[int, str]]:
    """The lines that are code (comments dropped)."""
    return [
        (number, line.split("#", 1)[0])
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
    ]


def test_adapters_hold_no_user_facing_japanese_text() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text[:40]!r}"
        for path in ADAPTERS
        for line, text in _strings(path)
        if JAPANESE.search(text)
    ]
    assert not found, "texts belong in handlers/locale/*.po:\n" + "\n".join(found)


def test_adapters_run_no_orm_query() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in ADAPTERS
        for number, line in _code(path)
        if QUERIES.search(line)
    ]
    assert not found, "queries belong in handlers/:\n" + "\n".join(found)


def test_adapters_hold_no_permission_or_round_rule() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in ADAPTERS
        for number, line in _code(path)
        if RULES.search(line)
    ]
    assert not found, "who may do what is handlers/interaction/access.py's:\n" + "\n".join(found)


def test_only_bot_imports_a_chat_sdk() -> None:
    found = [
        str(path.relative_to(ROOT))
        for folder in ("handlers", "scheduler", "models")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if SDKS.search(path.read_text(encoding="utf-8"))
    ]
    assert not found
