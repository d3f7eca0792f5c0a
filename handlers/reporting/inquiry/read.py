"""Reading a returned 照会様式: what kind of file it is, its seal, and what was typed.

A file is looked at before it is parsed: the size; an OLE compound file is either an
encrypted (password-protected) workbook or an old `.xls`; a zip must be a workbook and not
a macro-enabled one (`.xlsm`, or a `vbaProject.bin` under another name); the unpacked
size is bounded (a zip bomb is refused before openpyxl reads it, and openpyxl parses the
XML with defusedxml). Then the seal is checked (`handlers.reporting.inquiry.seal`) and the
visible sheet read at the places the seal names; each line's item number must still be
where it was written (rows sorted, inserted or deleted after unprotecting the sheet are
"altered").

Only values are read (`data_only`): styles, validations and column widths may be anything,
as they are after Excel or LibreOffice re-saved the book. The bytes are the caller's; this
module never writes a file.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from handlers.errors import HokokuError
from handlers.i18n import msg
from handlers.normalize import clean_text
from handlers.reporting.inquiry.seal import SEAL_SHEET, Seal, SealBroken, read_seal

MAX_FORM_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_PERSON = 100
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam")
OLD_SUFFIXES = (".xls", ".xlt")
# What openpyxl raises on a damaged workbook (defusedxml's refusals are ValueErrors).
UNREADABLE = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    EOFError,
    ParseError,
)


class FormRefused(HokokuError):
    """This file cannot be collected; the message says why and what to do."""


@dataclass(frozen=True)
class FilledSlot:
    """One answer line of a returned form, as typed (`grade` '' = left blank)."""

    report_id: int
    item_number: int
    row: int
    grade: str
    comment: str
    grade_cell: str  # `回答!E12`, for messages
    comment_cell: str


@dataclass(frozen=True)
class FilledForm:
    seal: Seal
    person: str  # 回答者, as typed
    person_contact: str
    slots: tuple[FilledSlot, ...]


def cell_ref(sheet: str, cell: str) -> str:
    """`回答!E12`; a sheet name with spaces or signs quoted as Excel writes it."""
    plain = all(ch.isalnum() or ch in "_." for ch in sheet)
    return f"{sheet}!{cell}" if plain else "'" + sheet.replace("'", "''") + f"'!{cell}"


def _kind_check(name: str, data: bytes) -> None:
    """FormRefused saying what the file is unless it is a zipped workbook without macros."""
    if len(data) > MAX_FORM_BYTES:
        raise FormRefused(
            msg("inquiry.too_large", size=len(data) // 1024, limit=MAX_FORM_BYTES // 1024)
        )
    lower = name.lower()
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in data:
            raise FormRefused(msg("inquiry.encrypted"))
        raise FormRefused(msg("inquiry.old_format"))
    if lower.endswith(MACRO_SUFFIXES):
        raise FormRefused(msg("inquiry.macro"))
    if lower.endswith(OLD_SUFFIXES):
        raise FormRefused(msg("inquiry.old_format"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {n.lower() for n in archive.namelist()}
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FormRefused(msg("inquiry.not_workbook")) from None
    if "xl/workbook.xml" not in names:
        raise FormRefused(msg("inquiry.not_workbook"))
    if any(n.endswith(".bin") and "vba" in n for n in names):  # xl/vbaProject.bin
        raise FormRefused(msg("inquiry.macro"))
    if unpacked > MAX_UNPACKED_BYTES:
        raise FormRefused(
            msg("inquiry.too_large", size=unpacked // 1024, limit=MAX_UNPACKED_BYTES // 1024)
        )


def _text(value: object) -> str:
    """A cell's value as text: numbers without `.0`, dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return clean_text(str(value))


def read_form(name: str, data: bytes) -> FilledForm:
    """The seal and the typed answers of a returned form; FormRefused when the file is not a
    form that can be read, or its seal or rows were changed."""
    _kind_check(name, data)
    with warnings.catch_warnings():  # openpyxl warns about parts it drops (extensions …)
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(io.BytesIO(data), data_only=True, keep_links=False)
        except UNREADABLE:
            raise FormRefused(msg("inquiry.unreadable")) from None
    if SEAL_SHEET not in book.sheetnames:
        raise FormRefused(msg("inquiry.not_a_form"))
    try:
        seal = read_seal(book[SEAL_SHEET].iter_rows(values_only=True))
    except SealBroken as exc:
        raise FormRefused(
            msg("inquiry.not_a_form" if exc.reason == "missing" else "inquiry.altered")
        ) from None
    if seal.sheet not in book.sheetnames:
        raise FormRefused(msg("inquiry.altered"))
    sheet = book[seal.sheet]
    if not isinstance(sheet, Worksheet):
        raise FormRefused(msg("inquiry.altered"))
    return FilledForm(
        seal=seal,
        person=_text(sheet[seal.person_cell].value).strip()[:MAX_PERSON],
        person_contact=_text(sheet[seal.contact_cell].value).strip()[:MAX_PERSON],
        slots=tuple(_slots(sheet, seal)),
    )


def _slots(sheet: Worksheet, seal: Seal) -> Iterable[FilledSlot]:
    for slot in seal.slots:
        number = f"{seal.number_column}{slot.row}"
        if _text(sheet[number].value).strip() != str(slot.item_number):
            raise FormRefused(
                msg(
                    "inquiry.rows_altered",
                    cell=cell_ref(seal.sheet, number),
                    item=slot.item_number,
                )
            )
        grade = f"{seal.grade_column}{slot.row}"
        comment = f"{seal.comment_column}{slot.row}"
        yield FilledSlot(
            report_id=slot.report_id,
            item_number=slot.item_number,
            row=slot.row,
            grade=_text(sheet[grade].value).strip(),
            comment=_text(sheet[comment].value).strip(),
            grade_cell=cell_ref(seal.sheet, grade),
            comment_cell=cell_ref(seal.sheet, comment),
        )
