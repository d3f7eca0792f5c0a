"""The committee's one-line summaries, in Japanese and English, from a `Comparison`.

「全64事業のうちA・B評価は54事業（84%）、前年度から6事業上昇」 /
"54 of 64 items (84%) graded A or B; 6 improved on last year". Pure: no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.committee.compare import Comparison, GradeTally
from handlers.errors import InvalidInput
from handlers.i18n import msg

LANGUAGES = ("ja", "en")


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidInput(
            msg("summary.language_unknown", languages=" / ".join(LANGUAGES), language=language)
        )
    return language


@dataclass(frozen=True)
class SummaryLine:
    label: str  # "" for the whole plan, else the goal
    ja: str
    en: str


@dataclass(frozen=True)
class SummaryText:
    overall: SummaryLine
    goals: tuple[SummaryLine, ...]

    def lines(self, language: str = "ja") -> list[str]:
        """The overall sentence, then one per goal prefixed with the goal."""
        pick = (lambda line: line.en) if language == "en" else (lambda line: line.ja)
        return [pick(self.overall), *(f"{line.label}: {pick(line)}" for line in self.goals)]


def percent(part: int, whole: int) -> int:
    """Whole percent, halves rounded up (54/64 → 84)."""
    return (200 * part + whole) // (2 * whole) if whole else 0


def _english_list(letters: Sequence[str]) -> str:
    if len(letters) <= 1:
        return "".join(letters)
    return f"{', '.join(letters[:-1])} or {letters[-1]}"


def _sentence(tally: GradeTally, comparison: Comparison) -> SummaryLine:
    unit = comparison.unit
    noun = "items" if comparison.unit_is_item else "entries"
    good = tally.good(comparison.good)
    if tally.total == 0:
        return SummaryLine(tally.label, f"対象の{unit}がありません", f"no {noun}")
    share = percent(good, tally.total)
    ja = f"全{tally.total}{unit}のうち{'・'.join(comparison.good)}評価は{good}{unit}（{share}%）"
    en = f"{good} of {tally.total} {noun} ({share}%) graded {_english_list(comparison.good)}"
    if comparison.previous_round_id is not None and tally.compared:
        if tally.improved or tally.worsened:
            changes = [
                f"{n}{unit}{word}"
                for n, word in ((tally.improved, "上昇"), (tally.worsened, "低下"))
                if n
            ]
            ja += f"、前年度から{'、'.join(changes)}"
            moves = [
                f"{n} {word}"
                for n, word in ((tally.improved, "improved"), (tally.worsened, "declined"))
                if n
            ]
            en += f"; {', '.join(moves)} on last year"
        else:
            ja += "、前年度から変化なし"
            en += "; none changed from last year"
    pending = tally.total - tally.graded
    if pending:
        ja += f"（未回答 {pending}{unit}）"
        en += f" ({pending} not answered yet)"
    return SummaryLine(tally.label, ja, en)


def summary_text(comparison: Comparison) -> SummaryText:
    """One sentence for the whole plan and one per goal (top level)."""
    return SummaryText(
        overall=_sentence(comparison.overall, comparison),
        goals=tuple(_sentence(goal, comparison) for goal in comparison.goals),
    )
