"""The form's hidden sheet (the seal): which round and department a form belongs to, where
each slot's answer sits on the visible sheet, and a checksum over all of it.

Written by `handlers.reporting.inquiry.write`, read back by
`handlers.reporting.inquiry.read`; this module is the format both agree on. Every value is
written as text (LibreOffice and Excel keep text cells as they are when they re-save a
book; a number could come back as `3.0`), and read back tolerating numbers all the same.

The sheet, top to bottom: a key/value block (`format`, `round`, …), a `slots` header row,
one row per slot (report id, item number, row on the form sheet), and a last `checksum` row.

The checksum is a plain SHA-256 of the content, not an HMAC. What it must catch is a
changed seal: someone unhid the sheet and typed another department's id, pasted rows from
another form, or a sheet was lost in a re-save. Which round and which department a form may
write to is decided by the database, not by the checksum: the collector checks that every
slot the seal names is a slot of the named round and department, and refuses a form of
another round or department by name. A key would add protection only against someone who
recomputes the digest on purpose, at the price of a secret that every machine writing or
reading forms (the office's PC, the server) must share unchanged for the whole round, or
every form is refused as altered; hokoku has no such shared secret today, and the office,
not the sender, decides which files it collects (a file arrives by mail from a known
person, and every collected file is audited with its name).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SEAL_SHEET = "hokoku"
FORMAT = "hokoku-inquiry-form"
VERSION = "1"
_SLOTS = "slots"
_CHECKSUM = "checksum"


class SealBroken(ValueError):
    """The hidden sheet is missing, unreadable or does not match its checksum."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "missing" (not a form) or "altered"


@dataclass(frozen=True)
class SealedSlot:
    """One answer line of the form: its report slot, item number and 1-based sheet row."""

    report_id: int
    item_number: int
    row: int


@dataclass(frozen=True)
class Seal:
    round_id: int
    fiscal_year: int
    plan: str
    department_id: int
    department: str
    sheet: str  # the visible sheet's title
    number_column: str  # column letters on that sheet
    grade_column: str
    comment_column: str
    person_cell: str  # who answered (回答者), e.g. "C6"
    contact_cell: str  # their extension or address
    slots: tuple[SealedSlot, ...]

    def _fields(self) -> list[tuple[str, str]]:
        return [
            ("format", FORMAT),
            ("version", VERSION),
            ("round", str(self.round_id)),
            ("fiscal_year", str(self.fiscal_year)),
            ("plan", self.plan),
            ("department", str(self.department_id)),
            ("department_name", self.department),
            ("sheet", self.sheet),
            ("number_column", self.number_column),
            ("grade_column", self.grade_column),
            ("comment_column", self.comment_column),
            ("person_cell", self.person_cell),
            ("contact_cell", self.contact_cell),
        ]

    def checksum(self) -> str:
        """SHA-256 of the canonical JSON of every field and slot (see the module's note)."""
        content = {
            "fields": self._fields(),
            "slots": [[s.report_id, s.item_number, s.row] for s in self.slots],
        }
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def rows(self) -> list[list[str]]:
        """The hidden sheet's cells, row by row, all text."""
        lines = [[key, value] for key, value in self._fields()]
        lines.append([_SLOTS, "report", "item", "row"])
        lines += [["", str(s.report_id), str(s.item_number), str(s.row)] for s in self.slots]
        lines.append([_CHECKSUM, self.checksum()])
        return lines


def _text(value: object) -> str:
    """A cell's value as the text it was written as (`3.0` from a re-save is `3`)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(text: str) -> int:
    if not text.isdigit():
        raise SealBroken("altered")
    return int(text)


def read_seal(rows: Iterable[Sequence[object]]) -> Seal:
    """The seal from the hidden sheet's rows; SealBroken("missing") when it is not one,
    SealBroken("altered") when it was changed."""
    lines = [[_text(v) for v in row] for row in rows]
    lines = [line for line in lines if any(line)]
    if not lines or lines[0][:1] != ["format"] or lines[0][1:2] != [FORMAT]:
        raise SealBroken("missing")
    fields: dict[str, str] = {}
    index = 0
    while index < len(lines) and lines[index][0] != _SLOTS:
        key, value = (lines[index] + ["", ""])[:2]
        fields[key] = value
        index += 1
    slots: list[SealedSlot] = []
    index += 1
    while index < len(lines) and lines[index][0] != _CHECKSUM:
        cells = (lines[index] + ["", "", "", ""])[1:4]
        slots.append(SealedSlot(*(_number(c) for c in cells)))
        index += 1
    if index >= len(lines) or fields.get("version") != VERSION:
        raise SealBroken("altered")
    try:
        seal = Seal(
            round_id=_number(fields["round"]),
            fiscal_year=_number(fields["fiscal_year"]),
            plan=fields["plan"],
            department_id=_number(fields["department"]),
            department=fields["department_name"],
            sheet=fields["sheet"],
            number_column=fields["number_column"],
            grade_column=fields["grade_column"],
            comment_column=fields["comment_column"],
            person_cell=fields["person_cell"],
            contact_cell=fields["contact_cell"],
            slots=tuple(slots),
        )
    except KeyError:
        raise SealBroken("altered") from None
    if lines[index][1:2] != [seal.checksum()]:
        raise SealBroken("altered")
    return seal
