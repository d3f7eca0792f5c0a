"""The one error an import raises: what is wrong, located by file, row and column.

Problems are catalog messages (`plan_import.*`), so the office reads them in its language;
the place (`plan.csv 3行目 C列（担当課）` / `plan.csv row 3, column C (担当課)`) is one too.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.errors import InvalidInput
from handlers.i18n import Message, msg


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the letters a spreadsheet user sees."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def location(
    file: str, row: int | None = None, column: int | None = None, header: str = ""
) -> Message:
    """`plan.csv 3行目 C列（担当課）`: where in the table something is (row 1-based)."""
    return rows_location(file, () if row is None else (row,), column, header)


def rows_location(
    file: str, rows: Sequence[int], column: int | None = None, header: str = ""
) -> Message:
    """`plan.csv 4、5、9行目 D列（関係課）`: several rows of one column (a grouped warning)."""
    shown = tuple(rows)
    count = len(shown)
    if column is None:
        if not shown:
            return msg("plan_import.at.file", file=file)
        return msg("plan_import.at.rows", count=count, file=file, rows=shown)
    letter = column_letter(column)
    if not shown:
        return msg("plan_import.at.column", file=file, column=letter, header=header or letter)
    if header:
        return msg(
            "plan_import.at.cell", count=count, file=file, rows=shown, column=letter, header=header
        )
    return msg("plan_import.at.cell_no_header", count=count, file=file, rows=shown, column=letter)


def located(where: Message, problem: Message) -> Message:
    return msg("plan_import.located", where=where, problem=problem)


class PlanImportError(InvalidInput):
    """Bad input table; the message starts with `file 行 N 列 X（header）:`."""

    def __init__(
        self,
        problem: Message,
        *,
        file: str,
        row: int | None = None,
        column: int | None = None,
        header: str = "",
    ) -> None:
        super().__init__(located(location(file, row, column, header), problem))
        self.file = file
        self.row = row
        self.column = column
        self.problem = problem
