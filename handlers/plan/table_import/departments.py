"""Reading a 担当課 cell: the department names in it, and what looks suspicious about it.

Separators: 、 , ; ／ / newline and spaces (after NFKC, full-width forms are ASCII already).
Three things are imported but reported (summary and `--json`), each with row and column:

- `split`: `協働コミュニティ課・図書館` lists two departments joined by ・ — split when every
  part ends like a department name (課, 室, 館, センター …); a ・ inside one name
  (`市民協働・男女共同参画課`) is left alone.
- `subunit`: `健康課 保健係` is one section of a department, not two departments: the space
  does not split before a 係/担当/班/グループ/チーム, and the name is kept whole, so that the
  office can decide (`hokoku dept merge "健康課 保健係" 健康課`, or keep it).
- `collective`: `全課`, `各課`, `関係各課` … name no department anybody can be linked to; they
  are imported as written (nothing is dropped) so that the office can fix the cell in the
  table, or `hokoku dept merge`/`dept rename` it into a real department, or link the office.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from handlers.i18n import Message, msg
from handlers.normalize import fold

SPLIT = "split"
SUBUNIT = "subunit"
COLLECTIVE = "collective"

_SEPARATORS = re.compile(r"[、,;/\n]+")
_SPACES = re.compile(r"\s+")
_SUBUNIT_ENDINGS = ("係", "担当", "班", "グループ", "チーム")
_DEPARTMENT_ENDINGS = (
    "課",
    "室",
    "局",
    "部",
    "館",
    "所",
    "園",
    "署",
    "センター",
    "委員会",
    "本部",
    "組合",
    "公社",
    "協議会",
    "病院",
    "学校",
)
_COLLECTIVE = re.compile(
    r"^(?:全|各|関係各?|庁内各?|全庁|所管各?|各担当|担当各)"
    r"(?:課|部|部署|部局|課室|課所|所属|担当課|機関)?等?$"
)


@dataclass(frozen=True)
class CellNote:
    """One suspicious department cell: what was read and how it was taken."""

    kind: str  # split / subunit / collective
    text: str  # the cell's text, folded
    names: tuple[str, ...]  # the department names the cell became

    def describe(self) -> Message:
        if self.kind == SPLIT:
            return msg(
                "plan_import.department.split",
                count=len(self.names),
                text=self.text,
                names=self.names,
            )
        if self.kind == SUBUNIT:
            return msg("plan_import.department.subunit", names=self.names)
        return msg("plan_import.department.collective", names=self.names)


def is_collective(name: str) -> bool:
    """`全課`, `関係各課`, `関係課` …: no department anybody can be linked to."""
    return bool(_COLLECTIVE.match(fold(name)))


def looks_like_department(name: str) -> bool:
    return name.endswith(_DEPARTMENT_ENDINGS)


def _join_subunits(tokens: list[str]) -> tuple[list[str], list[str]]:
    """`健康課 保健係` stays one name; returns (names, the names that were joined)."""
    names: list[str] = []
    joined: list[str] = []
    for token in tokens:
        if names and token.endswith(_SUBUNIT_ENDINGS) and looks_like_department(names[-1]):
            names[-1] = f"{names[-1]} {token}"
            joined.append(names[-1])
        else:
            names.append(token)
    return names, joined


def read_department_cell(text: str) -> tuple[list[str], list[CellNote]]:
    """The department names of one cell, in order, and notes on anything suspicious."""
    folded = fold(text)
    names: list[str] = []
    notes: list[CellNote] = []
    for part in _SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        tokens = [t for t in _SPACES.split(fold(part)) if t]
        joined_names, joined = _join_subunits(tokens)
        for name in joined_names:
            pieces = [p.strip() for p in name.split("・")]
            if len(pieces) > 1 and all(p and looks_like_department(p) for p in pieces):
                names.extend(pieces)
                notes.append(CellNote(SPLIT, folded, tuple(pieces)))
                continue
            names.append(name)
            if name in joined:
                notes.append(CellNote(SUBUNIT, folded, (name,)))
            if _COLLECTIVE.match(name):
                notes.append(CellNote(COLLECTIVE, folded, (name,)))
    return names, notes


def split_departments(text: str) -> list[str]:
    """`協働コミュニティ課、秘書広報課` → both names, folded (NFKC, trimmed)."""
    return read_department_cell(text)[0]
