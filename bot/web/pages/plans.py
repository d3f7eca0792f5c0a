"""The plans: the list, one plan's tree, and uploading a table (preview, then confirm).

An upload is bounded (HOKOKU_MAX_UPLOAD_BYTES, a CSV/TSV/TXT or XLSX that looks like one);
its preview shows the tree with item numbers and departments, and the import's warnings
by row, as `hokoku plan import` would store them; confirming imports the same file, and
says whether it created, replaced or updated a plan.
"""

from __future__ import annotations

from starlette.responses import Response

from bot.web import uploads
from bot.web.console import Web
from bot.web.plan_preview import preview_import
from handlers.errors import InvalidInput, NotFound
from handlers.i18n import Message, msg
from handlers.organization.directory import resolve_plan
from handlers.plan.table_import import ImportResult, import_plan
from handlers.plan.table_import.store import MODE_CREATED, MODE_REPLACED
from handlers.plan.view import list_plans, plan_tree
from models.db import transaction

CHECKED = ("on", "1", "true", "yes")


def plans(web: Web) -> Response:
    """The plans with their counts and the upload form; `?plan=ID` shows that plan's tree."""
    with transaction(web.runtime.reader) as session:
        found = list_plans(session, organization_id=web.organization_id)
        tree = None
        wanted = web.query("plan")
        if wanted:
            plan = resolve_plan(session, organization_id=web.organization_id, ref=wanted[:40])
            tree = plan_tree(session, plan=plan)
    return web.render(
        "plans.html", plans=found, tree=tree, limit=web.runtime.settings.max_upload_bytes
    )


def mode_message(result: ImportResult) -> Message:
    """Created, replaced (no rounds yet), or updated with what was added and removed."""
    if result.mode == MODE_CREATED:
        return msg("web.plan.mode.created", plan=result.name)
    if result.mode == MODE_REPLACED:
        return msg("web.plan.mode.replaced", plan=result.name)
    return msg(
        "web.plan.mode.updated",
        plan=result.name,
        added_items=result.added_items,
        added_assignments=result.added_assignments,
        removed_items=result.removed_items,
        removed_assignments=result.removed_assignments,
        added_slots=result.added_slots,
    )


def _text(web: Web, value: Message | str) -> str:
    """A warning of the importer in the reader's language (older ones are plain text)."""
    return web.t.render(value) if isinstance(value, Message) else str(value)


def preview(web: Web) -> Response:
    """POST: keep the uploaded table and show what importing it would store."""
    upload = web.upload("file")
    if upload is None or not upload.filename:
        raise InvalidInput(msg("web.plan.no_file"))
    suffix = uploads.suffix_of(upload.filename)
    if suffix not in uploads.SUFFIXES:
        raise InvalidInput(msg("web.plan.bad_type", name=upload.filename[:80]))
    limit = web.runtime.settings.max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        return web.problem(msg("web.too_large"), status=413)
    if not data:
        raise InvalidInput(msg("web.plan.empty", name=upload.filename[:80]))
    if not uploads.plausible(data, suffix):
        raise InvalidInput(msg("web.plan.bad_type", name=upload.filename[:80]))
    options = {
        "name": web.field("name").strip()[:200],
        "title": web.field("title").strip()[:500],
        "replace": "1" if web.field("replace") in CHECKED else "",
    }
    kept = uploads.keep(
        data, filename=upload.filename, owner=web.caller.session_id, options=options
    )
    try:
        shown = preview_import(
            web.runtime.factory,
            organization_id=web.organization_id,
            path=kept.path,
            name=options["name"] or None,
            title=options["title"] or None,
            replace=bool(options["replace"]),
            actor=web.caller.reporter,
        )
    except InvalidInput:
        uploads.discard(kept.id)
        raise
    cells = [w.located(kept.path.name) for w in shown.result.department_warnings]
    rows = [
        (w.row, w.to_json()["column"], w.header, _text(web, w.note.describe()))
        for w in shown.result.department_warnings
    ]
    return web.render(
        "plan_preview.html",
        warnings=[_text(web, w) for w in shown.result.warnings if w not in cells],
        department_rows=rows,
        preview=shown,
        result=shown.result,
        tree=shown.tree,
        mode=mode_message(shown.result),
        upload_id=kept.id,
        file_name=kept.path.name,
    )


def confirm(web: Web) -> Response:
    """POST: import the previewed table for real (one transaction)."""
    upload_id = web.field("upload")
    kept = uploads.take(upload_id, owner=web.caller.session_id)
    if kept is None:
        raise NotFound(msg("web.plan.upload_gone"))
    options = kept.options
    with transaction(web.runtime.factory) as session:
        result = import_plan(
            session,
            organization_id=web.organization_id,
            path=kept.path,
            name=options.get("name") or None,
            title=options.get("title") or None,
            replace=bool(options.get("replace")),
            actor=web.caller.reporter,
        )
    uploads.discard(kept.id)
    lines = [
        _text(web, mode_message(result)),
        web.t(
            "web.plan.counts",
            items=result.items,
            departments=result.departments,
            assignments=result.assignments,
        ),
    ]
    return web.redirect("/web/plans", flash=lines, plan=result.plan_id)
