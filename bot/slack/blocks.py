"""Block Kit layout: the interaction layer's replies and the outbound messages as Slack JSON.

No I/O, no database, no sentence of its own: every text comes from the catalog (through
the translator) or from the renderers in handlers.renderers, which the console and LINE
use too. Every field that carries our data is clipped to its documented limit
(bot.slack.limits); long texts are split into several sections rather than cut.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.slack import ids, limits
from bot.slack.answer_form import FormMeta
from bot.slack.limits import clip
from handlers.i18n import Translator
from handlers.interaction.reply import (
    ANSWER,
    Choice,
    FormErrors,
    FormView,
    Home,
    ItemCards,
    Reply,
    SignInLink,
    Status,
)
from handlers.interaction.text import part_lines, reply_text
from handlers.plan.nodes import hierarchy_path
from handlers.ports import OfficeDigest, OutboundMessage, RoundRequest
from handlers.renderers import (
    bar,
    item_label,
    previous_grade,
    render_digest,
    render_outbound,
    render_request,
    render_status,
)
from handlers.reporting.reports import MAX_COMMENT, SlotView
from handlers.scale import GradeScale

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = limits.MESSAGE_BLOCKS
MAX_VIEW_BLOCKS = limits.VIEW_BLOCKS
MAX_LISTED = 15
SECTION_LIMIT = limits.SECTION_TEXT
LINES_PER_SECTION = 30


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


def bold(text: str) -> str:
    return f"*{text}*"


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
    return [section(c) for c in chunks if c.strip()]


def line_sections(lines: Sequence[str]) -> list[Block]:
    """Many short lines (a status table) as sections of LINES_PER_SECTION lines."""
    return [
        block
        for start in range(0, len(lines), LINES_PER_SECTION)
        for block in text_blocks("\n".join(lines[start : start + LINES_PER_SECTION]))
    ]


def long_text(text: str) -> tuple[str, list[Block]]:
    """A text of any length: sections under Slack's limits, and a clipped fallback text."""
    return clip(text, limits.MESSAGE_TEXT), text_blocks(text)[:MAX_MESSAGE_BLOCKS]


# --- buttons ------------------------------------------------------------------------------


def report_button_value(*, round_id: int, department_id: int) -> str:
    return json.dumps({"r": round_id, "d": department_id})


def report_button(t: Translator, *, round_id: int, department_id: int) -> Block:
    return {
        "type": "button",
        "action_id": ids.ACTION_OPEN_REPORT,
        "text": plain(t("report.button"), limits.BUTTON_TEXT),
        "style": "primary",
        "value": report_button_value(round_id=round_id, department_id=department_id),
    }


def _actions(buttons: list[Block]) -> list[Block]:
    return [
        {"type": "actions", "elements": buttons[start : start + limits.ACTIONS_ELEMENTS]}
        for start in range(0, len(buttons), limits.ACTIONS_ELEMENTS)
    ]


def choice_blocks(t: Translator, choice: Choice) -> list[Block]:
    """One button per department: re-run the waiting message as it, or open its form."""
    buttons = []
    for member in choice.options:
        if choice.then == ANSWER:
            action_id = f"{ids.ACTION_CHOOSE_DEPARTMENT}_{member.department_id}"
            value = str(member.department_id)
        else:
            action_id = f"{ids.ACTION_OPEN_REPORT}_{member.department_id}"
            value = report_button_value(
                round_id=choice.round_id, department_id=member.department_id
            )
        buttons.append(
            {
                "type": "button",
                "action_id": action_id,
                "text": plain(member.department_name, limits.BUTTON_TEXT),
                "value": value,
            }
        )
    return [section(t.render(choice.prompt)), *_actions(buttons)]


def sign_in_blocks(t: Translator, link: SignInLink) -> list[Block]:
    """The web console's one-time link: what it is for, and a button that opens it."""
    role = t("web.link.office") if link.office else ""
    text = t("web.link.sent", department=link.department_name, role=role, minutes=link.minutes)
    button = {
        "type": "button",
        "action_id": ids.WEB_LINK,
        "text": plain(t("web.link.open"), limits.BUTTON_TEXT),
        "url": link.url,
        "style": "primary",
    }
    return [section(text), {"type": "actions", "elements": [button]}]


# --- replies ------------------------------------------------------------------------------


def message(t: Translator, reply: Reply) -> tuple[str, list[Block]]:
    """A reply as a Slack message: fallback text and blocks (buttons where it has choices).

    Each part's lines are rendered once, for its blocks and the fallback text alike
    (`reply_text`'s paragraphs): a page's confirmation is 10 lines of 6 catalog texts each,
    and rendering them twice cost as much as posting them."""
    blocks: list[Block] = []
    paragraphs: list[str] = []
    for part in reply.parts:
        lines = part_lines(t, part)
        if lines:
            paragraphs.append("\n".join(lines))
        if isinstance(part, Choice):
            blocks.extend(choice_blocks(t, part))
        elif isinstance(part, ItemCards):
            button = report_button(t, round_id=part.round_id, department_id=part.department_id)
            blocks.append({"type": "actions", "elements": [button]})
        elif isinstance(part, SignInLink):
            blocks.extend(sign_in_blocks(t, part))
        elif isinstance(part, Status):
            blocks.extend(line_sections(lines))
        else:
            blocks.extend(text_blocks("\n".join(lines)))
    return clip("\n\n".join(paragraphs), limits.MESSAGE_TEXT), blocks[:MAX_MESSAGE_BLOCKS]


def form_errors(errors: FormErrors, t: Translator, state_values: Iterable[str]) -> dict[str, str]:
    """`response_action: errors`: block id → message (a problem of the whole form goes on
    the first input of the page)."""
    first = next(iter(state_values), "general")
    found: dict[str, str] = {}
    for (field, number), problem in errors.errors.items():
        if number == 0:
            block = first
        else:
            block = ids.grade_block(number) if field == "grade" else ids.comment_block(number)
        found[block] = t.render(problem)
    return found


# --- the answer modal ---------------------------------------------------------------------


def _grade_option(scale: GradeScale, letter: str) -> dict[str, Any]:
    for grade in scale.grades:
        if grade.letter == letter:
            return {"text": plain(grade.describe(), limits.OPTION_TEXT), "value": grade.letter}
    return {"text": plain(letter, limits.OPTION_TEXT), "value": letter}


def _item_blocks(t: Translator, slot: SlotView, view: FormView) -> list[Block]:
    grade, comment = view.values.get(slot.item_number, (slot.grade, slot.comment))
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.ACTION_GRADE,
        "placeholder": plain(t("form.grade.placeholder")),
        "options": [_grade_option(view.scale, g.letter) for g in view.scale.grades][
            : limits.SELECT_OPTIONS
        ],
    }
    if grade and view.scale.match(grade):
        select["initial_option"] = _grade_option(view.scale, grade)
    comment_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.ACTION_COMMENT,
        "multiline": True,
        "max_length": min(MAX_COMMENT, limits.TEXT_INPUT),
        "placeholder": plain(t("form.comment.placeholder")),
    }
    if comment:
        comment_input["initial_value"] = comment[: min(MAX_COMMENT, limits.TEXT_INPUT)]
    where = f"No.{slot.item_number}"
    if slot.path:
        where += "  " + hierarchy_path(slot.path)
    before = ""
    if slot.previous_grade:
        before = t("previous.grade", grade=bold(slot.previous_grade))
        if slot.previous_comment:
            before += f" {clip(slot.previous_comment, 300)}"
    return [
        section(bold(slot.item_display)),
        context(where, before),
        {
            "type": "input",
            "block_id": ids.grade_block(slot.item_number),
            "optional": True,
            "label": plain(t("form.grade")),
            "element": select,
        },
        {
            "type": "input",
            "block_id": ids.comment_block(slot.item_number),
            "optional": True,
            "label": plain(t("form.comment")),
            "element": comment_input,
        },
        {"type": "divider"},
    ]


def modal(t: Translator, view: FormView) -> dict[str, Any]:
    """One page of the answer modal. Submit = next page (validated) or, on the last, send."""
    last = view.page == view.pages - 1
    several = view.pages > 1
    head = t("form.head", department=bold(view.department_name), total=view.total_items)
    note = t("form.note", deadline=t.date(view.deadline))
    blocks: list[Block] = [
        section(head + (t("form.page", page=view.page + 1, pages=view.pages) if several else "")),
        context(note + (t("form.note.pages") if several else "")),
    ]
    if view.page > 0:
        back = {
            "type": "button",
            "action_id": ids.ACTION_PAGE_BACK,
            "text": plain(t("form.back"), limits.BUTTON_TEXT),
            "value": str(view.page - 1),
        }
        blocks.append({"type": "actions", "elements": [back]})
    for slot in view.slots:
        blocks.extend(_item_blocks(t, slot, view))
    assert len(blocks) <= MAX_VIEW_BLOCKS, "answer page exceeds Slack's 100-block limit"
    submit = t("form.submit") if last else t("form.next", page=view.page + 2, pages=view.pages)
    return {
        "type": "modal",
        "callback_id": ids.CALLBACK_ANSWER,
        "title": plain(t("form.title", year=t.fiscal_year(view.fiscal_year)), limits.MODAL_TITLE),
        "submit": plain(submit, limits.MODAL_BUTTON),
        "close": plain(t("form.close"), limits.MODAL_BUTTON),
        "private_metadata": FormMeta(view.round_id, view.department_id, view.page).dump(),
        "blocks": blocks,
    }


# --- App Home -----------------------------------------------------------------------------


def _listed(t: Translator, lines: list[str]) -> str:
    shown = lines[:MAX_LISTED]
    if len(lines) > MAX_LISTED:
        shown.append(t.plural("list.more", len(lines) - MAX_LISTED))
    return "\n".join(shown)


def home_view(t: Translator, reply: Reply) -> dict[str, Any]:
    """The Home tab: the person's items per department, the office's progress, or (not
    linked, no open round) what the reply says."""
    home = reply.find(Home)
    if home is None:
        text_part = [header(t("home.unlinked.title")), *text_blocks(reply_text(reply))]
        return {"type": "home", "blocks": text_part[:MAX_VIEW_BLOCKS]}
    blocks: list[Block] = [
        header(t("home.title", year=t.fiscal_year(home.fiscal_year), plan=home.plan_title))
    ]
    if home.status is not None:
        blocks.extend(line_sections(render_status(t, home.status, office=True)))
        blocks.append(context(t("home.export")))
        return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
    for entry in home.sections:
        slots = entry.slots
        pending = [s for s in slots if s.grade is None]
        done = [s for s in slots if s.grade is not None]
        progress = t(
            "home.progress", done=len(done), total=len(slots), bar=f"`{bar(len(done), len(slots))}`"
        )
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(f"{bold(entry.member.department_name)}  {progress}"),
                "accessory": report_button(
                    t, round_id=home.round_id, department_id=entry.member.department_id
                ),
            }
        )
        if pending:
            lines = [
                f"• {item_label(s.item_number, s.item_display)}{previous_grade(t, s.previous_grade)}"
                for s in pending
            ]
            blocks.append(section(bold(t("home.pending")) + "\n" + _listed(t, lines)))
        if done:
            lines = [
                f"• {s.item_number}  {clip(s.item_display, 40)} → {bold(s.grade or '')}"
                for s in done
            ]
            blocks.append(section(bold(t("home.answered")) + "\n" + _listed(t, lines)))
        blocks.append({"type": "divider"})
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


# --- outbound -----------------------------------------------------------------------------


def _titled(lines: list[str]) -> list[Block]:
    """A renderer's lines: the first as a header, the rest as sections."""
    return [header(lines[0]), *line_sections(lines[1:])]


def outbound(t: Translator, sent: OutboundMessage) -> tuple[str, list[Block]]:
    """Fallback text and Block Kit for a request, reminder, digest or notice."""
    if isinstance(sent, RoundRequest):
        lines = render_request(t, sent)
        button = report_button(t, round_id=sent.round_id, department_id=sent.department_id)
        blocks = [
            *_titled(lines),
            {"type": "actions", "elements": [button]},
            context(t("request.form")),
        ]
    elif isinstance(sent, OfficeDigest):
        blocks = _titled(render_digest(t, sent))
    else:
        return long_text("\n".join(render_outbound(t, sent)))
    text = "\n".join(render_outbound(t, sent))
    return clip(text, limits.MESSAGE_TEXT), blocks[:MAX_MESSAGE_BLOCKS]
