"""Block Kit builders: plain data in, Slack JSON out. No I/O, no database.

Every field that carries our data is clipped to its documented limit (bot.slack.limits);
long texts are split into several sections rather than cut.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack import ids, limits
from bot.slack.limits import clip
from handlers.identities import Membership
from handlers.outbound_text import unreachable_line
from handlers.ports import OfficeDigest, PendingItem, RoundRequest, TextMessage
from handlers.replies import bar
from handlers.reports import MAX_COMMENT, SlotView
from handlers.scale import GradeScale
from handlers.status import StatusSummary

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = limits.MESSAGE_BLOCKS
MAX_VIEW_BLOCKS = limits.VIEW_BLOCKS
MAX_LISTED = 15
SECTION_LIMIT = limits.SECTION_TEXT

_PURPOSE_HEAD = {
    "request": "報告のお願い",
    "reminder": "報告のリマインド",
    "overdue": "報告期限を過ぎています",
}


def plain(text: str, limit: int = limits.PLACEHOLDER) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(t) for t in texts if t][: limits.CONTEXT_ELEMENTS],
    }


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, limits.HEADER_TEXT)}


def report_button_value(*, round_id: int, department_id: int) -> str:
    return json.dumps({"r": round_id, "d": department_id})


def report_button(*, round_id: int, department_id: int, label: str = "報告する") -> Block:
    return {
        "type": "button",
        "action_id": ids.ACTION_OPEN_REPORT,
        "text": plain(label, limits.BUTTON_TEXT),
        "style": "primary",
        "value": report_button_value(round_id=round_id, department_id=department_id),
    }


def _pending_lines(pending: Sequence[PendingItem]) -> str:
    lines = []
    for item in pending[:MAX_LISTED]:
        before = f"（昨年度 {item.previous_grade}）" if item.previous_grade else ""
        lines.append(f"• {item.number}  {clip(item.display, 60)}{before}")
    if len(pending) > MAX_LISTED:
        lines.append(f"…ほか{len(pending) - MAX_LISTED}件")
    return "\n".join(lines)


def round_request(message: RoundRequest) -> tuple[str, list[Block]]:
    """The request/reminder posted to a department: what, by when, how many, and a button."""
    head = _PURPOSE_HEAD.get(message.purpose, "報告のお願い")
    title = f"{message.round_label} {message.plan_name} {head}"
    answered = message.total_items - len(message.pending)
    summary = (
        f"*{message.department_name}* の担当項目 {message.total_items}件"
        f"（回答済み {answered}件・未回答 {len(message.pending)}件）\n"
        f"締切: *{message.deadline:%Y年%-m月%-d日}*"
    )
    blocks: list[Block] = [header(title), section(summary)]
    if message.pending:
        blocks.append(section("*未回答の項目*\n" + _pending_lines(message.pending)))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                report_button(round_id=message.round_id, department_id=message.department_id)
            ],
        }
    )
    blocks.append(
        context(
            f"達成度は {'／'.join(message.grades)} から選びます。"
            "DMで「項目番号 達成度 コメント」と送っても回答できます（例: 12 B 市広報紙で周知した）。"
        )
    )
    fallback = f"{title}: {message.department_name} 未回答{len(message.pending)}件（締切 {message.deadline:%Y-%m-%d}）"
    return clip(fallback, limits.MESSAGE_TEXT), blocks


def office_digest(message: OfficeDigest) -> tuple[str, list[Block]]:
    percent = round(100 * message.submitted / message.total, 1) if message.total else 0.0
    title = f"{message.round_label} {message.plan_name} 進捗"
    blocks: list[Block] = [
        header(title),
        section(
            f"回答 {message.submitted}/{message.total}件 `{bar(message.submitted, message.total)}` "
            f"{percent:g}%\n締切: {message.deadline:%Y年%-m月%-d日}"
        ),
    ]
    unreachable = [section(unreachable_line(entry)) for entry in message.unreachable]
    for line in message.overdue[: MAX_MESSAGE_BLOCKS - 3 - len(unreachable)]:
        blocks.append(section(f"*{line.department_name}*\n" + _pending_lines(line.pending)))
    blocks.extend(unreachable)
    fallback = f"{title}: {message.submitted}/{message.total}件 ({percent:g}%)"
    return fallback, blocks


def text_message(message: TextMessage) -> tuple[str, list[Block]]:
    return long_text(message.text)


def long_text(text: str) -> tuple[str, list[Block]]:
    """A reply of any length: sections under Slack's limits, and a clipped fallback text."""
    return clip(text, limits.MESSAGE_TEXT), text_blocks(text)


def text_blocks(text: str) -> list[Block]:
    """Long plain text split into sections under the 3000-character limit."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        if len(current) + len(line) + 1 > SECTION_LIMIT - 100:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return [section(c) for c in chunks[:MAX_MESSAGE_BLOCKS]]


def department_choice(
    memberships: Sequence[Membership], *, round_id: int, prompt: str
) -> list[Block]:
    """Buttons, one per department, when a person answers for several."""
    buttons = [
        {
            "type": "button",
            "action_id": f"{ids.ACTION_OPEN_REPORT}_{m.department_id}",
            "text": plain(m.department_name, limits.BUTTON_TEXT),
            "value": report_button_value(round_id=round_id, department_id=m.department_id),
        }
        for m in memberships
    ]
    blocks: list[Block] = [section(prompt)]
    for start in range(0, len(buttons), 25):  # an actions block holds at most 25 elements
        blocks.append({"type": "actions", "elements": buttons[start : start + 25]})
    return blocks


def chat_department_choice(memberships: Sequence[Membership], *, prompt: str) -> list[Block]:
    """Buttons that say which department a DM answer is for (the text is kept and re-run)."""
    buttons = [
        {
            "type": "button",
            "action_id": f"{ids.ACTION_CHOOSE_DEPARTMENT}_{m.department_id}",
            "text": plain(m.department_name, limits.BUTTON_TEXT),
            "value": str(m.department_id),
        }
        for m in memberships
    ]
    blocks: list[Block] = [section(prompt)]
    for start in range(0, len(buttons), 25):
        blocks.append({"type": "actions", "elements": buttons[start : start + 25]})
    return blocks


# ---------------------------------------------------------------- the answer modal


@dataclass(frozen=True)
class AnswerPage:
    """One page of the answer modal: which slots, and what to prefill."""

    round_label: str
    department_name: str
    deadline_text: str
    scale: GradeScale
    slots: Sequence[SlotView]
    values: dict[int, tuple[str | None, str]]  # item number → (grade, comment) to prefill
    page: int  # 0-based
    pages: int
    total_items: int
    private_metadata: str


def _grade_option(scale: GradeScale, letter: str) -> dict[str, Any]:
    for grade in scale.grades:
        if grade.letter == letter:
            text = grade.letter + (f" {grade.label}" if grade.label else "")
            text += f"（{grade.band}）" if grade.band else ""
            return {"text": plain(text, limits.OPTION_TEXT), "value": grade.letter}
    return {"text": plain(letter, limits.OPTION_TEXT), "value": letter}


def _item_blocks(slot: SlotView, page: AnswerPage) -> list[Block]:
    grade, comment = page.values.get(slot.item_number, (slot.grade, slot.comment))
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.ACTION_GRADE,
        "placeholder": plain("達成度を選ぶ"),
        "options": [_grade_option(page.scale, g.letter) for g in page.scale.grades][
            : limits.SELECT_OPTIONS
        ],
    }
    if grade and page.scale.match(grade):
        select["initial_option"] = _grade_option(page.scale, grade)
    comment_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.ACTION_COMMENT,
        "multiline": True,
        "max_length": min(MAX_COMMENT, limits.TEXT_INPUT),
        "placeholder": plain("取組計画と達成状況"),
    }
    if comment:
        comment_input["initial_value"] = comment[: min(MAX_COMMENT, limits.TEXT_INPUT)]
    where = f"No.{slot.item_number}"
    if slot.path:
        where += "　" + " › ".join(slot.path)
    before = ""
    if slot.previous_grade:
        before = f"昨年度: *{slot.previous_grade}*"
        if slot.previous_comment:
            before += f" {clip(slot.previous_comment, 300)}"
    return [
        section(f"*{slot.item_display}*"),
        context(where, before),
        {
            "type": "input",
            "block_id": ids.grade_block(slot.item_number),
            "optional": True,
            "label": plain("達成度"),
            "element": select,
        },
        {
            "type": "input",
            "block_id": ids.comment_block(slot.item_number),
            "optional": True,
            "label": plain("取組計画と達成状況（コメント）"),
            "element": comment_input,
        },
        {"type": "divider"},
    ]


def answer_modal(page: AnswerPage) -> dict[str, Any]:
    """One page of the modal. Submit = next page (validated) or, on the last page, send."""
    last = page.page == page.pages - 1
    blocks: list[Block] = [
        section(
            f"*{page.department_name}* の担当項目 {page.total_items}件"
            + (f"（{page.page + 1}/{page.pages}ページ）" if page.pages > 1 else "")
        ),
        context(
            f"締切 {page.deadline_text}。空欄のままの項目は未回答のまま残ります。"
            + ("「次へ」で入力内容は保持されます。" if page.pages > 1 else "")
        ),
    ]
    if page.page > 0:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.ACTION_PAGE_BACK,
                        "text": plain("← 前のページ", limits.BUTTON_TEXT),
                        "value": str(page.page - 1),
                    }
                ],
            }
        )
    for slot in page.slots:
        blocks.extend(_item_blocks(slot, page))
    assert len(blocks) <= MAX_VIEW_BLOCKS, "answer page exceeds Slack's 100-block limit"
    submit = "送信" if last else f"次へ（{page.page + 2}/{page.pages}）"
    return {
        "type": "modal",
        "callback_id": ids.CALLBACK_ANSWER,
        "title": plain(f"{page.round_label} 報告", limits.MODAL_TITLE),
        "submit": plain(submit, limits.MODAL_BUTTON),
        "close": plain("閉じる", limits.MODAL_BUTTON),
        "private_metadata": page.private_metadata,
        "blocks": blocks,
    }


# ---------------------------------------------------------------- App Home and status


def home_member(
    *,
    title: str,
    sections: Sequence[tuple[Membership, Sequence[SlotView]]],
    round_id: int,
) -> dict[str, Any]:
    blocks: list[Block] = [header(title)]
    for member, slots in sections:
        pending = [s for s in slots if s.grade is None]
        done = [s for s in slots if s.grade is not None]
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(
                    f"*{member.department_name}*　回答 {len(done)}/{len(slots)}件 "
                    f"`{bar(len(done), len(slots))}`"
                ),
                "accessory": report_button(round_id=round_id, department_id=member.department_id),
            }
        )
        if pending:
            blocks.append(
                section(
                    "*未回答*\n"
                    + _pending_lines(
                        [
                            PendingItem(s.item_number, s.item_display, s.previous_grade)
                            for s in pending
                        ]
                    )
                )
            )
        if done:
            lines = [f"• {s.item_number}  {clip(s.item_display, 40)} → *{s.grade}*" for s in done]
            shown = lines[:MAX_LISTED] + (
                [f"…ほか{len(lines) - MAX_LISTED}件"] if len(lines) > MAX_LISTED else []
            )
            blocks.append(section("*回答済み*\n" + "\n".join(shown)))
        blocks.append({"type": "divider"})
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def status_lines(summary: StatusSummary) -> list[str]:
    """Office view: overdue first, then least complete; one text bar per department."""
    ordered = sorted(summary.departments, key=lambda d: (-d.overdue, d.submitted - d.total, d.name))
    return [
        f"{'⚠ ' if d.overdue else ''}*{d.name}* `{bar(d.submitted, d.total)}` {d.submitted}/{d.total}"
        for d in ordered
    ]


def status_head(summary: StatusSummary) -> str:
    grades = "  ".join(f"{k}: {v}" for k, v in summary.grades.items())
    state = "・受付終了" if summary.closed else ("・期限超過" if summary.past_deadline else "")
    return (
        f"*{summary.round_label} {summary.plan_name}*（締切 {summary.deadline:%Y-%m-%d}{state}）\n"
        f"回答 {summary.submitted}/{summary.total}件 `{bar(summary.submitted, summary.total)}` "
        f"{summary.percent:g}%\n達成度  {grades}"
    )


def office_status(summary: StatusSummary) -> list[Block]:
    blocks: list[Block] = [section(status_head(summary))]
    lines = status_lines(summary)
    for start in range(0, len(lines), 30):
        blocks.append(section("\n".join(lines[start : start + 30])))
    return blocks[:MAX_MESSAGE_BLOCKS]


def home_office(*, title: str, summary: StatusSummary) -> dict[str, Any]:
    blocks: list[Block] = [header(title), *office_status(summary)]
    blocks.append(context("/hokoku export で達成状況一覧（XLSX）を受け取れます。"))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def home_unlinked(text: str) -> dict[str, Any]:
    return {"type": "home", "blocks": [header("hokoku 進行管理"), section(text)]}
