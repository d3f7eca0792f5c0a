"""Grade scales (達成度) as data: letters with optional labels and bands, stored on the round."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.normalize import fold, fold_key


@dataclass(frozen=True)
class Grade:
    letter: str
    label: str = ""
    band: str = ""

    def describe(self) -> str:
        return " ".join(part for part in (self.letter, self.label, self.band) if part)


@dataclass(frozen=True)
class GradeScale:
    grades: tuple[Grade, ...]

    @property
    def letters(self) -> list[str]:
        return [g.letter for g in self.grades]

    def match(self, token: str) -> str | None:
        """The scale's letter for what was typed (`ｂ`, `b`, `B`, `概ね達成` …), or None."""
        return self._letters_by_key.get(fold_key(token))

    @cached_property
    def _letters_by_key(self) -> dict[str, str]:
        """Each letter by its folded key, folded once per scale (a form page of ten answers
        folded every letter ten times)."""
        return {fold_key(grade.letter): grade.letter for grade in reversed(self.grades)}

    def hint(self) -> str:
        return "／".join(self.letters)

    def to_json(self) -> list[dict[str, str]]:
        return [{"letter": g.letter, "label": g.label, "band": g.band} for g in self.grades]

    @classmethod
    def from_json(cls, data: list[Any]) -> GradeScale:
        return cls(
            tuple(
                Grade(str(d["letter"]), str(d.get("label", "")), str(d.get("band", "")))
                for d in data
            )
        )

    @classmethod
    def parse(cls, spec: str) -> GradeScale:
        """Parse `A,B,C,D` or `A:計画以上:100%～,B:計画どおり,…` or `達成,概ね達成,未達成`."""
        grades: list[Grade] = []
        for raw in spec.replace("、", ",").split(","):
            if not raw.strip():
                continue
            parts = [p.strip() for p in raw.replace("：", ":").split(":")]
            letter = fold(parts[0])
            if fold_key(letter).isdigit():
                raise InvalidInput(msg("scale.letter_numeric", letter=letter))
            grades.append(
                Grade(
                    letter, parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
                )
            )
        keys = [fold_key(g.letter) for g in grades]
        if len(grades) < 2:
            raise InvalidInput(msg("scale.too_few"))
        if len(set(keys)) != len(keys):
            raise InvalidInput(msg("scale.duplicate"))
        if any(" " in g.letter for g in grades):
            raise InvalidInput(msg("scale.space"))
        return cls(tuple(grades))


DEFAULT_SCALE = GradeScale(
    (
        Grade("A", "計画以上", "100%～"),
        Grade("B", "計画どおり", "70～99%"),
        Grade("C", "計画以下", "1～69%"),
        Grade("D", "未着手", "0%"),
    )
)
