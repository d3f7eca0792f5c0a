"""The 達成状況一覧 as a file for files_upload_v2 (built by handlers.export)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


# False until handlers/export.py (the 達成状況一覧 builder) is merged; /hokoku export then says
# so instead of promising a file.
READY = False


@dataclass(frozen=True)
class Document:
    filename: str
    title: str
    content: bytes


def build(session: Session, *, round_id: int) -> Document:
    raise NotImplementedError("handlers/export.py is not on main yet")
