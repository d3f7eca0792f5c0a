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
from handlers.errors import InvalidInput
from handlers.organization.directory import resolve_plan
from handlers.plan.lineage import LineageResult, continue_plan
from handlers.plan.names import PlanNames, rename_plan
from handlers.plan.names import edit_plan as edit_plan_title
from handlers.plan.settings import edit_plan
from handlers.plan.table_import import ColumnOverrides, ImportResult, import_plan, parse_renames
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

MODE_LABELS = {MODE_CREATED: "新規作成", MODE_REPLACED: "置き換え（回なし）"}


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
    as_json: Annotated[bool, typer.Option("--json", help=H("cli.plan.import.as_json"))] = False,
) -> None:
    """Import a plan table; re-importing the same name updates it without losing answers. --continues links it to the plan it follows (第6次 → 第7次) so last year's answers show."""
    rt = runtime(ctx)
    overrides = ColumnOverrides(
        item=item_column,
        departments=tuple(department_column or ()),
        description=description_column,
        code=code_column,
        sheet=sheet,
    )
    progress = Progress(
        TextColumn("[bold]取り込み中[/] {task.description}"),
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
                "warnings": result.warnings,
                "department_warnings": [w.to_json() for w in result.department_warnings],
                "renamed_departments": [
                    {"old": old, "new": new} for old, new in result.renamed_departments
                ],
                **({"lineage": _lineage_json(lineage)} if lineage else {}),
            }
        )
        return
    _print_summary(result)
    if lineage is not None:
        _print_lineage(lineage)


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
        raise InvalidInput("--map は --continues（引き継ぐ前の計画）と一緒に指定してください。")
    return None


def _lineage_json(lineage: LineageResult) -> dict[str, object]:
    return {
        "continues": lineage.predecessor_name,
        "by_map": lineage.by_map,
        "by_title": lineage.by_title,
        "kept": lineage.kept,
        "unlinked": [item.number for item in lineage.unlinked],
    }


def _print_lineage(lineage: LineageResult) -> None:
    console.print(
        f"「{escape(lineage.predecessor_name)}」を引き継ぎます: 対応表で {lineage.by_map}項目、"
        f"同じ名前で {lineage.by_title}項目、そのまま {lineage.kept}項目を前計画の項目に対応づけました。",
        highlight=False,
    )
    if lineage.unlinked:
        shown = "、".join(f"{i.number} {escape(i.display)}" for i in lineage.unlinked[:20])
        more = f" ほか {len(lineage.unlinked) - 20}項目" if len(lineage.unlinked) > 20 else ""
        console.print(
            f"[yellow]前計画に対応する項目がない（前年の回答を表示しない）:[/] {shown}{more}",
            highlight=False,
        )


def _print_summary(result: ImportResult) -> None:
    table = Table(title=f"計画「{escape(result.name)}」（id {result.plan_id}）", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    if result.title != result.name:
        table.add_row("表題", escape(result.title))
    if result.sheet:
        table.add_row("シート", escape(result.sheet))
    mode = MODE_LABELS.get(
        result.mode,
        f"更新（追加 {result.added_items} 項目・{result.added_assignments} 担当、"
        f"削除 {result.removed_items} 項目・{result.removed_assignments} 担当、"
        f"受付中の回に {result.added_slots} 枠追加）",
    )
    table.add_row("取り込み", mode)
    for old, new in result.renamed_departments:
        table.add_row("担当課の改名", escape(f"{old} → {new}"))
    table.add_row("階層", escape(" › ".join(result.level_labels) or "（なし）"))
    table.add_row("項目の見出し", escape(result.item_label))
    table.add_row("取組項目", str(result.items))
    table.add_row("担当課", str(result.departments))
    table.add_row("担当（項目×担当課）", str(result.assignments))
    if result.reposts:
        table.add_row("再掲", f"{result.reposts}件（元の事業で一度だけ回答）")
    numbering = "表の番号" if result.numbering == "source" else "計画順の通し番号"
    table.add_row("項目番号", numbering)
    table.add_row("文字コード", result.encoding)
    if result.ignored_columns:
        table.add_row("無視した列", escape("、".join(result.ignored_columns)))
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]注意:[/] {escape(warning)}")


@app.command("list", help=H("cli.plan.list"))
def list_cmd(ctx: typer.Context) -> None:
    """List the plans with their counts."""
    rt = runtime(ctx)
    with transaction(rt.factory) as session:
        plans = list_plans(session, organization_id=rt.organization_id)
    if not plans:
        console.print("計画はまだありません。hokoku plan import FILE で取り込めます。")
        return
    table = Table(title="計画")
    for header in ("id", "計画名", "取組項目", "担当課", "担当", "回"):
        table.add_column(header, justify="right" if header != "計画名" else "left")
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
    with user_errors(), transaction(rt.factory) as session:
        tree = plan_tree(
            session, plan=resolve_plan(session, organization_id=rt.organization_id, ref=plan)
        )
    console.print(_render(tree))


def _render(tree: PlanTree) -> Tree:
    labels = " › ".join([*tree.level_labels, tree.item_label])
    title = f" {escape(tree.title)}" if tree.title != tree.name else ""
    root = Tree(f"[bold]{escape(tree.name)}[/]{title}（id {tree.id}）  {escape(labels)}")

    def add_item(parent: Tree, item: TreeItem) -> None:
        departments = "、".join(item.departments)
        repost = f" [magenta]→ {item.repost_of} で回答[/]" if item.repost_of else ""
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


def _print_names(names: PlanNames, *, as_json: bool) -> None:
    if as_json:
        print_json({"plan": names.id, "name": names.name, "title": names.display_title})
        return
    console.print(
        f"計画 {names.id}: {names.name}（表題: {names.display_title}）",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


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
    _print_names(names, as_json=as_json)


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
    if names is not None:
        _print_names(names, as_json=False)
    level = (
        f"{settings.evaluation_level}（{escape(settings.evaluation_label or '')}）"
        if settings.evaluation_level
        else "未設定"
    )
    good = "・".join(settings.good_grades) if settings.good_grades else "評価基準の上位半分"
    console.print(
        f"計画「{escape(settings.plan_name)}」: 委員会評価の階層 {level}、"
        f"段階 {'／'.join(settings.evaluation_scale.letters)}、よい評価 {good}",
        highlight=False,
    )
    if lineage is not None:
        _print_lineage(lineage)
