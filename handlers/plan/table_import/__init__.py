"""`import_plan`: a plan table (CSV/TSV/XLSX) in, a plan tree with items and departments out.

reader → grid of strings; columns → header roles; codes → code/title split;
build → validated tree in memory; store → one set of writes (caller owns the transaction).

The package's names load on first use: status, forms and the server use only `codes` and
`reader`, and do not pay for the importer (tests/bot/cli/test_imports.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.plan.table_import.columns import ColumnOverrides
    from handlers.plan.table_import.errors import PlanImportError
    from handlers.plan.table_import.importer import ImportResult, import_plan, parse_renames

__all__ = [
    "ColumnOverrides",
    "ImportResult",
    "PlanImportError",
    "import_plan",
    "parse_renames",
]

_HOMES = {
    "ColumnOverrides": "handlers.plan.table_import.columns",
    "PlanImportError": "handlers.plan.table_import.errors",
    "ImportResult": "handlers.plan.table_import.importer",
    "import_plan": "handlers.plan.table_import.importer",
    "parse_renames": "handlers.plan.table_import.importer",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
