"""The Excel 照会様式 from the console: all departments' forms in one zip, and an upload of
many filled forms at once.

The same handlers as `hokoku round forms` and `hokoku round collect`
(`handlers.reporting.inquiry`): the zip holds exactly the files the command writes, and an
upload stores each file all or nothing, on the excel channel, audited with the file's name,
and says per file what became of it (the command's lines). The upload is bounded
(HOKOKU_MAX_UPLOAD_BYTES for the whole request, `MAX_FILES` files) and, like every POST of
the console, needs the CSRF token; the user's files are only read.
"""

from __future__ import annotations

from starlette.responses import Response

from bot.web.console import Web
from bot.web.pages.dashboard import chosen_round
from bot.web.pages.downloads import attachment
from bot.web.uploads import clean_name
from handlers.errors import InvalidInput, NotFound
from handlers.i18n import msg
from handlers.interaction.access import require_office
from handlers.reporting.rounds import ANSWER, resolve_round, round_caption
from models.db import transaction

MAX_FILES = 300  # one per department of a large city hall, with room to spare
ZIP = "application/zip"


def forms_zip(web: Web) -> Response:
    """GET: every department's 照会様式 of the round, in one zip."""
    from handlers.reporting.inquiry.write import write_forms, zip_forms  # XlsxWriter loads here

    require_office(web.access)
    with transaction(web.runtime.reader) as session:
        rnd = chosen_round(session, web)
        forms = write_forms(
            session,
            round_id=rnd.id,
            contact=web.runtime.settings.office_contact,
            language=web.language,
        )
        caption = round_caption(rnd)
        name = web.t("web.forms.zip_name", year=web.t.fiscal_year(rnd.fiscal_year))
    if not forms:
        raise NotFound(msg("cli.round.forms.none", round=caption))
    return attachment(zip_forms(forms), filename=clean_name(f"{name}.zip"), media_type=ZIP)


def collect(web: Web) -> Response:
    """POST: read the uploaded forms and store their answers; a line per file."""
    # openpyxl loads with the first upload, not with `serve` (tests/bot/cli/test_imports.py)
    from handlers.reporting.inquiry.collect import collect_forms, describe
    from handlers.reporting.inquiry.read import MAX_FORM_BYTES

    require_office(web.access)
    uploads = [
        value
        for value in (web.form.getlist("forms") if web.form is not None else [])
        if not isinstance(value, str) and value.filename
    ]
    if not uploads:
        raise InvalidInput(msg("web.forms.no_files"))
    files = []
    for upload in uploads[:MAX_FILES]:
        data = upload.file.read(MAX_FORM_BYTES + 1)  # one byte past the limit refuses it
        files.append((clean_name(upload.filename or "")[:150], data))
    with transaction(web.runtime.factory) as session:
        rnd = resolve_round(
            session,
            organization_id=web.organization_id,
            ref=web.field("round") or None,
            purpose=ANSWER,
        )
        result = collect_forms(
            session, round_id=rnd.id, files=files, collector=f"web:{web.caller.reporter}"
        )
        caption = round_caption(rnd)
        round_id = rnd.id
    outcomes = [(o, [web.t.render(m) for m in describe(o)]) for o in result.files]
    refused = len(result.refused)
    summary = web.t(
        "cli.round.collect.summary",
        round=caption,
        files=len(result.files),
        ok=len(result.files) - refused,
        written=result.written,
        refused=refused,
    )
    return web.render(
        "forms_collected.html",
        status=400 if refused == len(result.files) else 200,
        outcomes=outcomes,
        summary=summary,
        skipped=max(0, len(uploads) - MAX_FILES),
        limit=MAX_FILES,
        round_id=round_id,
    )
