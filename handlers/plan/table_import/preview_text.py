"""The import's reading and preview as plain-text lines in the reader's language (the CLI).

`reading_lines` (which lines are the header, which column became what, the rows read as
headings, the rows skipped) is printed by every import; `preview_lines` adds the tree, the
departments and the counts for `hokoku plan import --dry-run`.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.i18n import Message, Translator
from handlers.plan.table_import.build import NUMBERING_SOURCE, HeadingRow
from handlers.plan.table_import.columns import ROLE_LEVEL, ColumnReading
from handlers.plan.table_import.preview import PlanPreview, PreviewItem, PreviewNode
from handlers.plan.table_import.rows import SkippedRow

INDENT = "  "
PATH_JOIN = " › "


def role_text(t: Translator, column: ColumnReading) -> str:
    if column.role == ROLE_LEVEL and column.level is not None:
        return t("plan_import.role.level", depth=column.level + 1, label=column.header)
    return t(f"plan_import.role.{column.role}")


def reading_lines(
    t: Translator,
    *,
    header_rows: Sequence[int],
    columns: Sequence[ColumnReading],
    headings: Sequence[HeadingRow],
    skipped: Sequence[SkippedRow],
) -> list[str]:
    """Where the header is, how each column was read, headings found, rows skipped."""
    lines: list[str] = []
    if header_rows:
        key = (
            "plan_import.reading.header_two"
            if len(header_rows) > 1
            else "plan_import.reading.header"
        )
        lines.append(t(key, first=header_rows[0], last=header_rows[-1]))
    lines.append(t("plan_import.reading.columns"))
    for column in columns:
        lines.append(
            INDENT
            + t(
                "plan_import.reading.column",
                letter=column.letter,
                header=column.header or "-",
                role=role_text(t, column),
                reason=t.render(column.reason),
            )
        )
    if headings:
        lines.append(t.plural("plan_import.reading.headings", len(headings)))
        for heading in headings:
            lines.append(
                INDENT
                + t(
                    "plan_import.reading.heading",
                    row=heading.row,
                    label=heading.label,
                    display=heading.display,
                )
            )
    if skipped:
        lines.append(t.plural("plan_import.reading.skipped", len(skipped)))
        for row in skipped:
            lines.append(
                INDENT
                + t(
                    "plan_import.reading.skipped_row",
                    row=row.row,
                    kind=t(f"plan_import.skipped.{row.kind}"),
                    text=row.text,
                )
            )
    return lines


def warning_lines(t: Translator, warnings: Sequence[Message]) -> list[str]:
    """`注意: …`, one line per warning."""
    return [t("plan_import.reading.warning", text=t.render(w)) for w in warnings]


def _item_line(t: Translator, item: PreviewItem, depth: int) -> str:
    repost = (
        " " + t("plan_import.preview.repost", number=item.repost_of)
        if item.repost_of is not None
        else ""
    )
    departments = t.join(item.departments)
    return f"{INDENT * depth}{item.number:>4}  {item.display}{repost}  [{departments}]"


def tree_lines(t: Translator, preview: PlanPreview) -> list[str]:
    lines: list[str] = []

    def add(node: PreviewNode, depth: int) -> None:
        label = f"{node.label} " if node.label else ""
        lines.append(f"{INDENT * depth}{label}{node.display}")
        for child in node.children:
            add(child, depth + 1)
        for item in node.items:
            lines.append(_item_line(t, item, depth + 1))

    for node in preview.roots:
        add(node, 1)
    for item in preview.loose_items:
        lines.append(_item_line(t, item, 1))
    return lines


def preview_lines(t: Translator, preview: PlanPreview) -> list[str]:
    """Everything `--dry-run` prints, top to bottom."""
    lines = [
        t(
            "plan_import.preview.title",
            file=preview.file,
            name=preview.name,
            mode=t(f"plan_import.mode.{preview.mode}"),
        )
    ]
    if preview.sheet:
        lines.append(t("plan_import.preview.sheet", sheet=preview.sheet))
    lines += reading_lines(
        t,
        header_rows=preview.header_rows,
        columns=preview.columns,
        headings=preview.headings,
        skipped=preview.skipped,
    )
    levels = PATH_JOIN.join([*preview.level_labels, preview.item_label])
    lines.append(t("plan_import.reading.levels", levels=levels))
    if preview.numbering == NUMBERING_SOURCE:
        lines.append(t("plan_import.reading.numbering_source"))
    else:
        lines.append(t("plan_import.reading.numbering_sequential", last=preview.items))
    lines.append(t("plan_import.preview.tree"))
    lines += tree_lines(t, preview)
    lines.append(
        t(
            "plan_import.preview.counts",
            items=preview.items,
            departments=len(preview.departments),
            new=len(preview.new_departments),
            assignments=preview.assignments,
        )
    )
    if preview.reposts:
        lines.append(t("plan_import.preview.reposts", count=preview.reposts))
    if preview.new_departments:
        lines.append(t("plan_import.preview.new_departments", names=preview.new_departments))
    lines += warning_lines(t, preview.warnings)
    lines.append(t("plan_import.preview.next"))
    return lines
