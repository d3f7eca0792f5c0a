"""The 達成状況一覧 as a file for files_upload_v2 (built by handlers.export.table / export_xlsx)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from handlers.export.table import build_table


@dataclass(frozen=True)
class Document:
    filename: str
    title: str
    content: bytes


def build(session: Session, *, round_id: int, language: str) -> Document:
    """The handout in the language of the person who asked for it."""
    # XlsxWriter loads with the first export asked for in Slack, not with the server.
    from handlers.export.table_xlsx import write_xlsx

    table = build_table(session, round_id=round_id, language=language)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        write_xlsx(table, path)
        content = path.read_bytes()
    return Document(filename=f"{table.title}.xlsx", title=table.title, content=content)
