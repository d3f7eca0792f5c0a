"""Reading a plan table (CSV, TSV, XLSX) into a grid of strings, as offices save them.

CSV/TSV come as UTF-8 (with or without BOM), Shift_JIS/CP932 (what Japanese Excel writes)
or UTF-16 with BOM (Excel's "Unicode text"). XLSX is read with openpyxl; merged cells are
expanded into every cell they cover and remembered, so that the builder can treat a merged
hierarchy or item cell as "same as above".
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from handlers.i18n import msg
from handlers.normalize import fold_key
from handlers.plan.table_import.errors import PlanImportError

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
TSV_SUFFIXES = {".tsv", ".tab"}


@dataclass
class Grid:
    """The cells of one sheet; `rows[i]` is spreadsheet row `i + 1`."""

    rows: list[list[str]]
    # (row index, column index) of cells that only repeat a merged range's top-left value.
    merged: set[tuple[int, int]] = field(default_factory=set)
    # XLSX merged ranges as (first row, first column, last row, last column), 0-based.
    ranges: list[tuple[int, int, int, int]] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""  # XLSX: the sheet read
    sheet_names: list[str] = field(default_factory=list)  # XLSX: every sheet, in order

    def cell(self, row: int, col: int) -> str:
        line = self.rows[row]
        return line[col] if col < len(line) else ""


def read_grid(path: Path, *, sheet: str | None = None) -> Grid:
    """Read `path` by its suffix; raises PlanImportError with the file name on bad input."""
    if not path.is_file():
        raise PlanImportError(msg("plan_import.file.missing"), file=str(path))
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        grid = _read_xlsx(path, sheet=sheet)
    elif suffix == ".xls":
        raise PlanImportError(msg("plan_import.file.xls"), file=path.name)
    else:
        grid = _read_text(path)
    if not any(any(cell for cell in row) for row in grid.rows):
        raise PlanImportError(msg("plan_import.file.empty"), file=path.name)
    return grid


def decode(data: bytes, *, file: str) -> tuple[str, str]:
    """Text and encoding name: BOMs first, then strict UTF-8, then CP932 (Shift_JIS)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, "utf-8-sig", file=file), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", file=file), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as exc:
        # The encoding that got further is most likely the intended one: report its error.
        worst = max(utf8_error, exc, key=lambda e: e.start)
        row = data[: worst.start].count(b"\n") + 1
        bad = data[worst.start : worst.start + 2]
        raise PlanImportError(
            msg("plan_import.file.encoding", byte=worst.start + 1, bad=repr(bad)),
            file=file,
            row=row,
        ) from exc


def _strict(data: bytes, encoding: str, *, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PlanImportError(
            msg("plan_import.file.bad_bytes", encoding=encoding, byte=exc.start), file=file
        ) from exc


def sniff_delimiter(text: str, suffix: str) -> str:
    """Tab for .tsv/.tab; otherwise whichever of tab and comma the header line has more of."""
    if suffix in TSV_SUFFIXES:
        return "\t"
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if first.count("\t") > first.count(",") else ","


def _read_text(path: Path) -> Grid:
    text, encoding = decode(path.read_bytes(), file=path.name)
    delimiter = sniff_delimiter(text, path.suffix.lower())
    try:
        rows = [
            [cell.strip() for cell in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise PlanImportError(msg("plan_import.file.csv", error=str(exc)), file=path.name) from exc
    return Grid(rows=rows, encoding=encoding, delimiter=delimiter)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(path: Path, *, sheet: str | None) -> Grid:
    # openpyxl (and numpy behind it) only when an .xlsx is read: not at every CLI start.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet.worksheet import Worksheet

    try:
        # Not read_only: merged ranges are only available on a fully loaded sheet.
        workbook = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise PlanImportError(msg("plan_import.file.xlsx", error=str(exc)), file=path.name) from exc
    try:
        chosen = workbook.worksheets[0]
        if sheet is not None:
            named = [n for n in workbook.sheetnames if fold_key(n) == fold_key(sheet)]
            if not named:
                raise PlanImportError(
                    msg(
                        "plan_import.sheet.missing", sheet=sheet, sheets=tuple(workbook.sheetnames)
                    ),
                    file=path.name,
                )
            chosen = workbook[named[0]]
        if not isinstance(chosen, Worksheet):
            raise PlanImportError(
                msg("plan_import.sheet.chart", sheet=chosen.title), file=path.name
            )
        ws = chosen
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        merged: set[tuple[int, int]] = set()
        ranges: list[tuple[int, int, int, int]] = []
        for rng in ws.merged_cells.ranges:
            ranges.append((rng.min_row - 1, rng.min_col - 1, rng.max_row - 1, rng.max_col - 1))
            top = _cell_text(ws.cell(rng.min_row, rng.min_col).value)
            for r in range(rng.min_row - 1, rng.max_row):
                for c in range(rng.min_col - 1, rng.max_col):
                    if (r, c) == (rng.min_row - 1, rng.min_col - 1) or r >= len(rows):
                        continue
                    line = rows[r]
                    line.extend([""] * (c + 1 - len(line)))
                    line[c] = top
                    merged.add((r, c))
        names = list(workbook.sheetnames)
    finally:
        workbook.close()
    return Grid(
        rows=rows,
        merged=merged,
        ranges=ranges,
        encoding="xlsx",
        sheet=ws.title,
        sheet_names=names,
    )
