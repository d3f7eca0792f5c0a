"""Downloads: the handout as `hokoku export` writes it (XLSX with the committee's sheets:
まとめ, 指標, 委員会評価), its table as CSV, the PDF when LibreOffice is installed, and the
charts. Files are built on request, in a temporary folder, from a read transaction.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from starlette.responses import Response

from bot.export_pdf import convert_to_pdf, soffice
from bot.web.console import Web
from bot.web.pages.dashboard import chosen_round
from bot.web.uploads import clean_name
from handlers.export.charts import KINDS
from handlers.export.document import export_document
from handlers.export.table_csv import write_csv
from handlers.i18n import LANGUAGES
from handlers.interaction.access import require_office
from handlers.reporting.rounds import round_choices
from models.db import transaction

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECKED = ("on", "1", "true", "yes")


def page(web: Web) -> Response:
    require_office(web.access)
    with transaction(web.runtime.reader) as session:
        rnd = chosen_round(session, web)
        rounds = round_choices(session, organization_id=web.organization_id)
    return web.render(
        "downloads.html",
        round=rnd,
        rounds=rounds,
        pdf=soffice() is not None,
        kinds=KINDS,
        limit=web.runtime.settings.max_upload_bytes,
    )


def attachment(content: bytes, *, filename: str, media_type: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _export(web: Web, suffix: str) -> Response:
    require_office(web.access)
    language = web.query("lang") or "ja"
    if language not in LANGUAGES:
        language = "ja"
    previous = web.query("previous") in CHECKED
    with transaction(web.runtime.reader) as session:
        rnd = chosen_round(session, web)
        document = export_document(
            session,
            round_id=rnd.id,
            today=web.today,
            previous=previous,
            language=language,
            sheets=suffix != ".csv",
        )
    table = document.table
    with tempfile.TemporaryDirectory(prefix="hokoku-web-") as folder:
        path = Path(folder) / clean_name(f"{table.title}.xlsx")
        if suffix == ".csv":
            path = path.with_suffix(".csv")
            write_csv(table, path)
            return attachment(path.read_bytes(), filename=path.name, media_type="text/csv")
        from handlers.export.table_xlsx import write_xlsx  # XlsxWriter loads on first export

        write_xlsx(table, path, committee=document.committee)
        if suffix == ".pdf":
            pdf = convert_to_pdf(path)
            return attachment(pdf.read_bytes(), filename=pdf.name, media_type="application/pdf")
        return attachment(path.read_bytes(), filename=path.name, media_type=XLSX)


def handout(web: Web) -> Response:
    return _export(web, ".xlsx")


def table_csv(web: Web) -> Response:
    return _export(web, ".csv")


def handout_pdf(web: Web) -> Response:
    return _export(web, ".pdf")
