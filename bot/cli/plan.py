"""`hokoku plan`: import a plan table, list, show, rename and retitle plans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.tree import Tree
from sqlalchemy.orm import Session

from bot.cli.common import console, err_console, print_json, runtime, user_errors
from bot.cli.options import os_user
from bot.cli.texts import H
from bot.runtime import Runtime
from handlers.errors import InvalidInput
from handlers.i18n import Translator, msg, translator
from handlers.organization.directory import resolve_plan
from handlers.plan.lineage import LineageResult, continue_plan
from handlers.plan.names import PlanNames, rename_plan
from handlers.plan.names import edit_plan as edit_plan_title
from handlers.plan.settings import edit_plan
from handlers.plan.table_import import ColumnOverrides, ImportResult, import_plan, parse_renames
from handlers.plan.table_import.columns import ColumnReading
from handlers.plan.table_import.preview import PlanPreview, PreviewItem, PreviewNode, preview_plan
from handlers.plan.table_import.preview_text import preview_lines, reading_lines, warning_lines
from handlers.plan.table_import.store import MODE_CREATED, MODE_REPLACED
from handlers.plan.view import PlanTree, TreeItem, TreeNode, list_plans, plan_tree
from models import Plan
from models.db import transaction

app = typer.Typer(help=H("cli.plan.app"), no_args_is_help=True)

ContinuesOption = Annotated[
    str | None,
    typer.Option("--continues", help=H("cli.plan.continues")),
]
MapOption = Annotated[
    Path | None,
    typer.Option("--map", help=H("cli.plan.map")),
]


def _t(rt: Runtime) -> Translator:
    """The CLI's words in HOKOKU_LANGUAGE."""
    return translator(rt.settings.language)


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


@app.command("import", help=H("cli.plan.import"))
def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=H("cli.plan.import.file"))],
    name: Annotated[str | None, typer.Option("--name", help=H("cli.plan.import.name"))] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", help=H("cli.plan.import.title")),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help=H("cli.plan.import.replace")),
    ] = False,
    rename_dept: Annotated[
        list[str] | None,
        typer.Option("--rename-dept", help=H("cli.plan.import.rename_dept")),
    ] = None,
    item_column: Annotated[
        str | None, typer.Option("--item-column", help=H("cli.plan.import.item_column"))
    ] = None,
    department_column: Annotated[
        list[str] | None,
        typer.Option("--department-column", help=H("cli.plan.import.department_column")),
    ] = None,
    description_column: Annotated[
        str | None,
        typer.Option("--description-column", help=H("cli.plan.import.description_column")),
    ] = None,
    code_column: Annotated[
        str | None, typer.Option("--code-column", help=H("cli.plan.import.code_column"))
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help=H("cli.plan.import.sheet"))] = None,
    continues: ContinuesOption = None,
    mapping: MapOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=H("cli.plan.import.dry_run"))] = False,
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.plan.import.as_json"))] = False,
) -> None:
    """Import a plan table; re-importing the same name updates it without losing answers. --continues links it to the plan it follows (第6次 → 第7次) so last year's answers show."""
    rt = runtime(ctx)
    t = _t(rt)
    overrides = ColumnOverrides(
        item=item_column,
        departments=tuple(department_column or ()),
        description=description_column,
        code=code_column,
        sheet=sheet,
    )
    if dry_run:
        with user_errors(), rt.reader() as session:
            preview = preview_plan(
                session,
                organization_id=rt.organization_id,
                path=file,
                name=name,
                title=title,
                replace=replace,
                overrides=overrides,
            )
        if as_json:
            print_json(_preview_json(t, preview))
        else:
            for line in preview_lines(t, preview):
                _say(line)
        return
    progress = Progress(
        TextColumn(f"[bold]{escape(t('plan_import.progress'))}[/] {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    )
    with user_errors(), progress:
        renames = parse_renames(rename_dept or [])
        task = progress.add_task(escape(file.name), total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with transaction(rt.factory) as session:
            result = import_plan(
                session,
                organization_id=rt.organization_id,
                path=file,
                name=name,
                title=title,
                replace=replace,
                renames=renames,
                actor=f"cli:{os_user()}",
                overrides=overrides,
                progress=advance,
            )
            lineage = _link(session, rt.organization_id, result.plan_id, continues, mapping)
    if as_json:
        print_json(
            {
                "plan": result.plan_id,
                "items": result.items,
                "departments": result.departments,
                "assignments": result.assignments,
                "name": result.name,
                "title": result.title,
                "mode": result.mode,
                "numbering": result.numbering,
                "sheet": result.sheet or None,
                "reposts": result.reposts,
                "ignored_columns": result.ignored_columns,
                "header_rows": list(result.header_rows),
                "columns": [_column_json(t, c) for c in result.columns],
                "headings": [vars(h) for h in result.headings],
                "skipped_rows": [vars(s) for s in result.skipped],
                "warnings": [t.render(w) for w in result.warnings],
                "department_warnings": [w.to_json() for w in result.department_warnings],
                "renamed_departments": [
                    {"old": old, "new": new} for old, new in result.renamed_departments
                ],
                **({"lineage": _lineage_json(lineage)} if lineage else {}),
            }
        )
        return
    _print_summary(t, result)
    if lineage is not None:
        _print_lineage(t, lineage)


def _column_json(t: Translator, column: ColumnReading) -> dict[str, object]:
    return {
        "column": column.letter,
        "header": column.header,
        "role": column.role,
        "level": column.level,
        "reason": t.render(column.reason),
    }


def _preview_json(t: Translator, preview: PlanPreview) -> dict[str, object]:
    """The preview as JSON: the same data the text shows, the tree nested."""

    def item(i: PreviewItem) -> dict[str, object]:
        return {
            "number": i.number,
            "display": i.display,
            "departments": list(i.departments),
            "row": i.row,
            "repost_of": i.repost_of,
        }

    def node(n: PreviewNode) -> dict[str, object]:
        return {
            "label": n.label,
            "display": n.display,
            "row": n.row,
            "heading": n.heading,
            "children": [node(c) for c in n.children],
            "items": [item(i) for i in n.items],
        }

    return {
        "dry_run": True,
        "file": preview.file,
        "name": preview.name,
        "mode": preview.mode,
        "plan": preview.plan_id,
        "sheet": preview.sheet or None,
        "header_rows": list(preview.header_rows),
        "columns": [_column_json(t, c) for c in preview.columns],
        "level_labels": list(preview.level_labels),
        "item_label": preview.item_label,
        "numbering": preview.numbering,
        "items": preview.items,
        "tree": [node(n) for n in preview.roots],
        "loose_items": [item(i) for i in preview.loose_items],
        "departments": [vars(d) for d in preview.departments],
        "assignments": preview.assignments,
        "headings": [vars(h) for h in preview.headings],
        "skipped_rows": [vars(s) for s in preview.skipped],
        "warnings": [t.render(w) for w in preview.warnings],
        "department_warnings": [w.to_json() for w in preview.department_warnings],
    }


def _link(
    session: Session,
    organization_id: int,
    plan_id: int,
    continues: str | None,
    mapping: Path | None,
) -> LineageResult | None:
    """Link the plan to the one it continues: the named one, else the one it already had."""
    plan = session.get_one(Plan, plan_id)
    if continues is not None:
        old = resolve_plan(session, organization_id=organization_id, ref=continues)
        return continue_plan(session, plan_id=plan.id, predecessor_id=old.id, mapping=mapping)
    if plan.predecessor_id is not None:
        return continue_plan(
            session,
            plan_id=plan.id,
            predecessor_id=plan.predecessor_id,
            mapping=mapping,
            keep_existing=mapping is None,
        )
    if mapping is not None:
        raise InvalidInput(msg("plan.map_without_continues"))
    return None


def _lineage_json(lineage: LineageResult) -> dict[str, object]:
    return {
        "continues": lineage.predecessor_name,
        "by_map": lineage.by_map,
        "by_title": lineage.by_title,
        "kept": lineage.kept,
        "unlinked": [item.number for item in lineage.unlinked],
    }


def _print_lineage(t: Translator, lineage: LineageResult) -> None:
    _say(
        t(
            "plan.lineage.linked",
            name=lineage.predecessor_name,
            by_map=lineage.by_map,
            by_title=lineage.by_title,
            kept=lineage.kept,
        )
    )
    if lineage.unlinked:
        shown = tuple(f"{i.number} {i.display}" for i in lineage.unlinked[:20])
        more = len(lineage.unlinked) - 20
        listed = t("plan.lineage.unlinked", items=shown)
        _say(listed + (t.plural("list.more", more) if more > 0 else ""))


def _print_summary(t: Translator, result: ImportResult) -> None:
    table = Table(
        title=escape(t("plan_import.summary.title", name=result.name, id=result.plan_id)),
        show_header=False,
    )
    table.add_column(style="bold")
    table.add_column()

    def row(label: str, value: str) -> None:
        table.add_row(escape(t(f"plan_import.summary.{label}")), escape(value))

    if result.title != result.name:
        row("plan_title", result.title)
    if result.sheet:
        row("sheet", result.sheet)
    if result.mode in (MODE_CREATED, MODE_REPLACED):
        mode = t(f"plan_import.mode.{result.mode}")
    else:
        mode = t(
            "plan_import.summary.updated",
            items=result.added_items,
            assignments=result.added_assignments,
            removed_items=result.removed_items,
            removed_assignments=result.removed_assignments,
            slots=result.added_slots,
        )
    row("mode", mode)
    for old, new in result.renamed_departments:
        row("renamed", f"{old} → {new}")
    row("levels", " › ".join(result.level_labels) or t("plan_import.none"))
    row("item_label", result.item_label)
    row("items", str(result.items))
    row("departments", str(result.departments))
    row("assignments", str(result.assignments))
    if result.reposts:
        row("reposts", t("plan_import.preview.reposts", count=result.reposts))
    numbering = (
        t("plan_import.summary.numbering_source")
        if result.numbering == "source"
        else t("plan_import.summary.numbering_sequential")
    )
    row("numbering", numbering)
    row("encoding", result.encoding)
    if result.ignored_columns:
        row("ignored", t.join(result.ignored_columns))
    console.print(table)
    for line in reading_lines(
        t,
        header_rows=result.header_rows,
        columns=result.columns,
        headings=result.headings,
        skipped=result.skipped,
    ):
        _say(line)
    for line in warning_lines(t, result.warnings):
        _say(line)


@app.command("list", help=H("cli.plan.list"))
def list_cmd(ctx: typer.Context) -> None:
    """List the plans with their counts."""
    rt = runtime(ctx)
    t = _t(rt)
    with rt.reader() as session:
        plans = list_plans(session, organization_id=rt.organization_id)
    if not plans:
        _say(t("plan.list.none"))
        return
    table = Table(title=escape(t("plan.list.title")))
    for key in ("id", "name", "items", "departments", "assignments", "rounds"):
        table.add_column(
            escape(t(f"plan.list.{key}")), justify="left" if key == "name" else "right"
        )
    for p in plans:
        title = f"\n[dim]{escape(p.title)}[/]" if p.title else ""
        table.add_row(
            str(p.id),
            escape(p.name) + title,
            str(p.items),
            str(p.departments),
            str(p.assignments),
            str(p.rounds),
        )
    console.print(table)


@app.command("show", help=H("cli.plan.show"))
def show_cmd(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help=H("cli.plan.show.plan"))],
) -> None:
    """Show a plan's tree: levels, codes, ★ 重点, item numbers and departments."""
    rt = runtime(ctx)
    with user_errors(), rt.reader() as session:
        tree = plan_tree(
            session, plan=resolve_plan(session, organization_id=rt.organization_id, ref=plan)
        )
    console.print(_render(_t(rt), tree))


def _render(t: Translator, tree: PlanTree) -> Tree:
    labels = " › ".join([*tree.level_labels, tree.item_label])
    title = f" {escape(tree.title)}" if tree.title != tree.name else ""
    heading = escape(t("plan.show.id", id=tree.id))
    root = Tree(f"[bold]{escape(tree.name)}[/]{title}{heading}  {escape(labels)}")

    def add_item(parent: Tree, item: TreeItem) -> None:
        departments = t.join(item.departments)
        repost = (
            f" [magenta]{escape(t('plan_import.preview.repost', number=item.repost_of))}[/]"
            if item.repost_of
            else ""
        )
        parent.add(
            f"[cyan]{item.number:>3}[/]  {escape(item.display)}{repost}  [dim]{escape(departments)}[/]"
        )

    def add_node(parent: Tree, node: TreeNode) -> None:
        style = "bold yellow" if node.is_priority else "bold"
        branch = parent.add(f"[dim]{escape(node.label)}[/] [{style}]{escape(node.display)}[/]")
        for child in node.children:
            add_node(branch, child)
        for item in node.items:
            add_item(branch, item)

    for node in tree.roots:
        add_node(root, node)
    for item in tree.loose_items:
        add_item(root, item)
    return root


def _print_names(t: Translator, names: PlanNames, *, as_json: bool) -> None:
    if as_json:
        print_json({"plan": names.id, "name": names.name, "title": names.display_title})
        return
    _say(t("plan.names", id=names.id, name=names.name, title=names.display_title))


@app.command("rename", help=H("cli.plan.rename"))
def rename_cmd(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help=H("cli.plan.rename.plan"))],
    new_name: Annotated[str, typer.Argument(help=H("cli.plan.rename.new_name"))],
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.plan.rename.as_json"))] = False,
) -> None:
    """Rename a plan (the short name typed on the command line)."""
    rt = runtime(ctx)
    with user_errors(), transaction(rt.factory) as session:
        target = resolve_plan(session, organization_id=rt.organization_id, ref=plan)
        names = rename_plan(session, plan=target, new_name=new_name, actor=f"cli:{os_user()}")
    _print_names(_t(rt), names, as_json=as_json)


@app.command("edit", help=H("cli.plan.edit"))
def edit_cmd(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help=H("cli.plan.edit.plan"))],
    title: Annotated[
        str | None,
        typer.Option("--title", help=H("cli.plan.edit.title")),
    ] = None,
    evaluation_level: Annotated[
        str | None,
        typer.Option("--evaluation-level", help=H("cli.plan.edit.evaluation_level")),
    ] = None,
    evaluation_scale: Annotated[
        str | None,
        typer.Option("--evaluation-scale", help=H("cli.plan.edit.evaluation_scale")),
    ] = None,
    good_grades: Annotated[
        str | None,
        typer.Option(
            "--good-grades",
            help=H("cli.plan.edit.good_grades"),
        ),
    ] = None,
    continues: ContinuesOption = None,
    mapping: MapOption = None,
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.plan.edit.as_json"))] = False,
) -> None:
    """The plan's title (export header, status) and settings: the committee's evaluation level and scale, good grades, predecessor plan."""
    rt = runtime(ctx)
    with user_errors(), transaction(rt.factory) as session:
        target = resolve_plan(session, organization_id=rt.organization_id, ref=plan)
        names = (
            edit_plan_title(session, plan=target, title=title, actor=f"cli:{os_user()}")
            if title is not None
            else None
        )
        settings = edit_plan(
            session,
            plan_id=target.id,
            evaluation_level=evaluation_level,
            evaluation_scale=evaluation_scale,
            good_grades=good_grades,
        )
        lineage = None
        if continues is not None or mapping is not None:
            lineage = _link(session, rt.organization_id, target.id, continues, mapping)
    if as_json:
        print_json(
            {
                "plan": settings.plan_id,
                "name": settings.plan_name,
                "title": target.display_title,
                "evaluation_level": settings.evaluation_level,
                "evaluation_label": settings.evaluation_label,
                "evaluation_scale": settings.evaluation_scale.to_json(),
                "good_grades": list(settings.good_grades) if settings.good_grades else None,
                **({"lineage": _lineage_json(lineage)} if lineage else {}),
            }
        )
        return
    t = _t(rt)
    if names is not None:
        _print_names(t, names, as_json=False)
    level = (
        t(
            "plan.settings.level",
            level=settings.evaluation_level,
            label=settings.evaluation_label or "",
        )
        if settings.evaluation_level
        else t("plan.settings.no_level")
    )
    good = t.join(settings.good_grades) if settings.good_grades else t("plan.settings.top_half")
    _say(
        t(
            "plan.settings",
            name=settings.plan_name,
            level=level,
            scale=settings.evaluation_scale.hint(),
            good=good,
        )
    )
    if lineage is not None:
        _print_lineage(t, lineage)
