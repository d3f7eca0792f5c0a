"""The answer grammar of a chat message: `12 B 市広報紙で周知`, one answer per line, and
lines that continue the comment of the answer above them.

A line is an answer when it starts with an item number and then a grade of the round's
scale (`１２　ｂ` folds to `12 B`). A lone short Latin token after the number (`12 E`) is
still read as an answer with a wrong grade, so a typo is reported instead of silently
becoming part of a comment. Any other line continues the comment of the answer above it, so
a comment can have several paragraphs or bullets (the committee's table is full of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.normalize import clean_text, fold
from handlers.reporting.reports import MAX_ITEM_NUMBER, AnswerInput
from handlers.scale import GradeScale

_HEAD = re.compile(
    r"^[ \t\u3000]*(?:#|No\.?|NO\.?|no\.?)?[ \t\u3000]*([0-9０-９]+)[ \t\u3000]+(\S+)(.*)$"
)
_MAX_TYPO = 2  # `12 E`, `12 AA`: a short Latin token after a number is meant as a grade


@dataclass(frozen=True)
class LineError:
    line_no: int
    error: InvalidInput


@dataclass(frozen=True)
class ParsedAnswers:
    answers: tuple[AnswerInput, ...]
    errors: tuple[LineError, ...]
    lines: int  # non-blank lines read


@dataclass(frozen=True)
class _Head:
    number_text: str
    grade: str
    rest: str


def _head(line: str, scale: GradeScale | None) -> _Head | None:
    """The number and grade that start an answer line, or None for a continuation line."""
    match = _HEAD.match(line)
    if match is None:
        return None
    number, token, rest = match.groups()
    folded = fold(token)
    is_grade = scale is not None and scale.match(folded) is not None
    looks_like_typo = len(folded) <= _MAX_TYPO and folded.isascii() and folded.isalpha()
    if not (is_grade or looks_like_typo):
        return None
    return _Head(fold(number), folded, rest.strip(" \t\u3000"))


def is_answer_line(line: str, scale: GradeScale | None) -> bool:
    """Does this line start an answer (used to tell answers from comments and group chatter)?"""
    return _head(fold(line.splitlines()[0]) if line.strip() else "", scale) is not None


@dataclass
class _Open:
    """The answer being read: its head line and the comment lines seen so far."""

    number: int
    grade: str
    line_no: int
    lines: list[str]

    def answer(self, source_key: str | None) -> AnswerInput:
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        comment = "\n".join(self.lines).strip()
        return AnswerInput(
            item_number=self.number,
            grade=self.grade,
            comment=comment or None,
            source_key=f"{source_key}#{self.line_no}" if source_key else None,
            line_no=self.line_no,
        )


def _unreadable(line_no: int, line: str) -> LineError:
    return LineError(line_no, InvalidInput(msg("answer.unreadable", text=line.strip()[:30])))


def _too_large(line_no: int, number: str) -> LineError:
    return LineError(line_no, InvalidInput(msg("answer.number_too_large", number=number[:12])))


def parse_answers(text: str, *, scale: GradeScale, source_key: str | None = None) -> ParsedAnswers:
    """Read every answer of a message; comments keep their line breaks as typed.

    `source_key` names the delivery: each answer gets `{source_key}#{line}` so a redelivered
    message stores nothing twice. A line that continues nothing is an error.
    """
    answers: list[AnswerInput] = []
    errors: list[LineError] = []
    current: _Open | None = None
    skipping = False  # continuation lines of an answer already reported as an error
    count = 0
    for line_no, raw in enumerate(clean_text(text).split("\n"), start=1):
        if not raw.strip():
            if current is not None and current.lines and current.lines[-1]:
                current.lines.append("")  # one blank line between paragraphs
            continue
        count += 1
        head = _head(raw, scale)
        if head is None:
            if current is not None:
                current.lines.append(raw.rstrip())
            elif not skipping:
                errors.append(_unreadable(line_no, raw))
            continue
        if current is not None:
            answers.append(current.answer(source_key))
        current, skipping = None, False
        number = head.number_text.lstrip("0") or "0"
        if len(number) > len(str(MAX_ITEM_NUMBER)) or int(number) > MAX_ITEM_NUMBER:
            errors.append(_too_large(line_no, number))
            skipping = True
            continue
        current = _Open(int(number), head.grade, line_no, [head.rest] if head.rest else [])
    if current is not None:
        answers.append(current.answer(source_key))
    return ParsedAnswers(tuple(answers), tuple(errors), count)
