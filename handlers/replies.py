"""Plain-text renderings (Japanese) shared by every chat adapter and the console.

Slack and LINE may render richer Block Kit / Flex, but these are the fallback texts and the
whole reply on text-only channels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from handlers.reports import DUPLICATE, REVISED, STORED, UNCHANGED, SubmitOutcome
from handlers.scale import GradeScale
from handlers.status import StatusSummary

BAR_WIDTH = 10
MAX_LISTED = 20
# A reply lists at most this many answers or errors, then says how many more there were
# (a line is at most ~150 characters, so 100 lines stay far inside every limit):
# a 2,000-line message gets a summary that fits every platform (Slack 40,000 characters,
# LINE 5 × 5,000), never a reply that is cut or refused.
MAX_OUTCOMES_LISTED = 100
MAX_ERRORS_LISTED = 20


class PendingSlot(Protocol):
    """What a pending list needs of a slot (SlotView and SlotState both have it)."""

    @property
    def item_number(self) -> int: ...

    @property
    def item_display(self) -> str: ...

    @property
    def grade(self) -> str | None: ...


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def item_label(number: int, display: str) -> str:
    """`[4] 3 男女共同参画研修の充実`: the number to type in brackets, then the source's code.

    Kiyose's 事業 codes restart per 施策, so a bare `4 3 …` left people guessing which number
    to type. When the source's own code is the number (`1 人権…`), it is shown once: `[1] 人権…`.
    """
    own = f"{number} "
    shown = display.removeprefix(own) if display.startswith(own) else display
    return f"[{number}] {_clip(shown)}"


_VERBS = {STORED: "保存", UNCHANGED: "変更なし", DUPLICATE: "受付済み"}


def _verb(out: SubmitOutcome) -> str:
    return f"修正（第{out.revision}版）" if out.status == REVISED else _VERBS[out.status]


def render_outcomes(outcomes: Sequence[SubmitOutcome]) -> str:
    """One line per answer; past MAX_OUTCOMES_LISTED a count per result and the first ones."""
    lines = []
    for out in outcomes[:MAX_OUTCOMES_LISTED]:
        comment = f"「{_clip(out.comment, 60)}」" if out.comment else "（コメントなし）"
        lines.append(
            f"・{item_label(out.item_number, out.item_display)} → {out.grade}{comment} … {_verb(out)}"
        )
    if len(outcomes) > MAX_OUTCOMES_LISTED:
        counts = Counter(_VERBS.get(out.status, "修正") for out in outcomes)
        summary = "・".join(f"{verb} {n}件" for verb, n in counts.items())
        lines.insert(0, f"{len(outcomes)}件の回答を受け付けました（{summary}）。")
        lines.append(
            f"…ほか{len(outcomes) - MAX_OUTCOMES_LISTED}件（「未回答」「状況」で確認できます）"
        )
    return "\n".join(lines)


def render_rejected(errors: Sequence[tuple[int, str]], *, lines: int) -> str:
    """Why a message was refused, line by line; nothing of it was stored."""
    ordered = sorted(errors, key=lambda e: e[0])
    texts = [
        message
        if lines <= 1 or message.startswith(f"{line_no}行目")
        else f"{line_no}行目: {message}"
        for line_no, message in ordered[:MAX_ERRORS_LISTED]
    ]
    if len(ordered) > MAX_ERRORS_LISTED:
        texts.append(f"…ほか{len(ordered) - MAX_ERRORS_LISTED}件の誤りがあります。")
    if lines > 1:
        texts.append("何も保存していません。直して全部の行をもう一度送ってください。")
    return "\n".join(texts)


def render_pending(slots: Sequence[PendingSlot], *, department_name: str) -> str:
    pending = [s for s in slots if s.grade is None]
    if not slots:
        return f"{department_name}の担当項目はこの回にありません。"
    if not pending:
        return f"{department_name}: 全{len(slots)}件すべて回答済みです。ありがとうございました。"
    head = f"{department_name}: 未回答 {len(pending)}件（全{len(slots)}件）"
    listed = [item_label(s.item_number, s.item_display) for s in pending[:MAX_LISTED]]
    if len(pending) > MAX_LISTED:
        listed.append(f"…ほか{len(pending) - MAX_LISTED}件")
    return "\n".join([head, *listed])


def render_status(summary: StatusSummary, *, office: bool) -> str:
    lines = [
        f"{summary.round_label} {summary.plan_name}（締切 {summary.deadline:%Y-%m-%d}"
        f"{'・受付終了' if summary.closed else ''}）",
        f"回答 {summary.submitted}/{summary.total}件 {bar(summary.submitted, summary.total)} "
        f"{summary.percent:g}%",
    ]
    grades = "  ".join(f"{k}:{v}" for k, v in summary.grades.items())
    lines.append(f"達成度 {grades}")
    if office:
        ordered = sorted(summary.departments, key=lambda d: (-d.overdue, d.submitted - d.total))
        for dept in ordered:
            mark = "⚠期限超過 " if dept.overdue else ""
            lines.append(
                f"{mark}{dept.name} {bar(dept.submitted, dept.total)} {dept.submitted}/{dept.total}"
            )
    return "\n".join(lines)


def render_help(scale: GradeScale | None) -> str:
    grades = scale.hint() if scale else "A／B／C／D"
    legend = ""
    if scale and any(g.label or g.band for g in scale.grades):
        legend = "\n達成度: " + "、".join(g.describe() for g in scale.grades)
    return (
        "使い方:\n"
        "・回答: 「項目番号 達成度 コメント」を1行に1件（複数行で複数件）\n"
        f"  例: 12 B 市広報紙で周知した（達成度は {grades}）\n"
        "・状況 / status: 回答の進み具合\n"
        "・未回答 / pending: まだ回答していない項目\n"
        "・ヘルプ / help: この説明\n"
        "・link コード: 事務局から届いた招待コードで担当課に登録" + legend
    )


NOT_LINKED = (
    "このアカウントはまだ担当課に登録されていません。\n"
    "事務局（男女共同参画担当）に招待コードを依頼し、届いたコードを「link コード」の形で送ってください。"
    "登録されるまで回答は保存されません。"
)
