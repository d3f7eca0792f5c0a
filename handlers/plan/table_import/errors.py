"""The one error an import raises: what is wrong, located by file, row and column."""

from __future__ import annotations

from handlers.errors import InvalidInput


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the letters a spreadsheet user sees."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def location(file: str, row: int | None = None, column: int | None = None, header: str = "") -> str:
    """`plan.csv 3行目 C列（担当課）`: where in the table something is."""
    where = [file]
    if row is not None:
        where.append(f"{row}行目")
    if column is not None:
        where.append(f"{column_letter(column)}列" + (f"（{header}）" if header else ""))
    return " ".join(where)


class PlanImportError(InvalidInput):
    """Bad input table; the message starts with `file 行 N 列 X（header）:`."""

    def __init__(
        self,
        problem: str,
        *,
        file: str,
        row: int | None = None,
        column: int | None = None,
        header: str = "",
    ) -> None:
        super().__init__(f"{location(file, row, column, header)}: {problem}")
        self.file = file
        self.row = row
        self.column = column
        self.problem = problem
