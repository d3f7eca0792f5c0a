"""`import_plan`: a plan table (CSV/TSV/XLSX) in, a plan tree with items and departments out.

reader → grid of strings; columns → the header (one line or two) and each column's role;
rows → headings, notes, repeated headers; codes → code/title split; build → validated tree
in memory; store → one set of writes (caller owns the transaction). `preview_plan` reads
the same way and stores nothing (`hokoku plan import --dry-run`, the web upload's preview).

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
    from handlers.plan.table_import.preview import PlanPreview, preview_plan

__all__ = [
    "ColumnOverrides",
    "ImportResult",
    "PlanImportError",
    "PlanPreview",
    "import_plan",
    "parse_renames",
    "preview_plan",
]

_HOMES = {
    "ColumnOverrides": "handlers.plan.table_import.columns",
    "PlanImportError": "handlers.plan.table_import.errors",
    "ImportResult": "handlers.plan.table_import.importer",
    "import_plan": "handlers.plan.table_import.importer",
    "parse_renames": "handlers.plan.table_import.importer",
    "PlanPreview": "handlers.plan.table_import.preview",
    "preview_plan": "handlers.plan.table_import.preview",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
