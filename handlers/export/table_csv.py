"""The 達成状況一覧 as CSV, laid out like the office's own table (UTF-8 with BOM for Excel).

One line per item × department. As in the committee's sheet
(bot/samples/tsurugashima_results_excerpt.csv), a hierarchy cell is written only where
its node starts (blank = same as above, the way Excel exports merged cells), and the item,
its merged comment and the committee's grade (委員会評価, when exported) only on the item's
first line; 担当課, 前年度達成度 (when asked for) and 達成度 are on every line.
The result can be imported again by `hokoku plan import` (blank means "same as above").
"""

from __future__ import annotations

import csv
from pathlib import Path

from handlers.export.table import ExportTable, neutralize


def csv_rows(table: ExportTable) -> list[list[str]]:
    """Header and body cells exactly as written (already neutralized)."""
    lines: list[list[str]] = [[neutralize(h) for h in table.headers]]
    starts = {
        level: {first for first, _last in table.level_runs(level)}
        for level in range(len(table.level_labels))
    }
    item_starts = {first for first, _last in table.item_runs()}
    for index, row in enumerate(table.rows):
        first = index in item_starts
        path = [text if index in starts[level] else "" for level, text in enumerate(row.path)]
        previous = [row.previous_grade or ""] if table.with_previous else []
        evaluation = [(row.evaluation or "") if first else ""] if table.with_evaluation else []
        cells = [
            *path,
            row.item if first else "",
            row.department,
            *previous,
            row.grade or "",
            *evaluation,
            row.comment if first else "",
        ]
        lines.append([neutralize(cell) for cell in cells])
    return lines


def write_csv(table: ExportTable, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(csv_rows(table))
