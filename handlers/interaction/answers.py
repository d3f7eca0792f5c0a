"""Answering in chat: typed answers, grade buttons and the comment that follows, item cards,
and which department a person with several links (or the office) answers for.

Every answer goes through `handlers.reporting.reports.submit_answers`, with `acting_as_office` set
by `access.answering_for`: one rule for every channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from handlers.errors import NotFound
from handlers.i18n import Message, msg, translator
from handlers.interaction.access import Acting, answering_for, not_linked
from handlers.interaction.answer_text import ParsedAnswers, parse_answers
from handlers.interaction.conversation import (
    AWAIT_COMMENT,
    AWAIT_DEPARTMENT,
    CHOSEN_DEPARTMENT,
    DAY,
    DEFAULT_TTL,
)
from handlers.interaction.intents import (
    ChooseDepartment,
    CommentShortcut,
    GradeButton,
    MoreItems,
)
from handlers.interaction.reply import (
    ANSWER,
    Choice,
    CommentPrompt,
    Confirmation,
    ItemCards,
    Pending,
    Problem,
    Problems,
    Reply,
)
from handlers.interaction.turn import Turn
from handlers.normalize import fold_key
from handlers.organization.identities import Membership
from handlers.ports import PendingItem
from handlers.reporting.reports import (
    AnswerInput,
    AnswersRejected,
    BatchResult,
    SlotView,
    answerable_round,
    check_answers,
    department_slots,
    submit_answers,
)
from handlers.reporting.rounds import AnswerableRound
from handlers.scale import GradeScale
from models import Round


def _acting(turn: Turn, department_id: int) -> Acting:
    return answering_for(turn.session, turn.caller, turn.actor, department_id)


def store(turn: Turn, acting: Acting, round_id: int, answers: list[AnswerInput]) -> BatchResult:
    """Every chat answer is stored here: as the person, through the channel, as a proxy
    when the office answers (audited)."""
    return submit_answers(
        turn.session,
        round_id=round_id,
        department_id=acting.department_id,
        answers=answers,
        reporter=turn.actor.person,
        channel=turn.actor.platform,
        now=turn.now,
        acting_as_office=acting.proxy,
    )


def _stored(turn: Turn, result: BatchResult, *extra: Pending | CommentPrompt) -> Reply:
    """What was stored, then what the department still owes."""
    parts = extra or (Pending(result.department_name, result.slots),)
    return turn.reply(Confirmation(result.outcomes), *parts, stored=result.outcomes)


def _refused(exc: AnswersRejected, *, lines: int, earlier: list[Problem] | None = None) -> Problems:
    found = [Problem(e.line_no, e.error.msg) for e in exc.errors]
    return Problems(tuple((earlier or []) + found), lines=lines)


# --- typed answers ------------------------------------------------------------------------


def attachment_note(turn: Turn, names: Sequence[str]) -> str | None:
    """The note kept in a comment for files sent with the answer, in the office's language
    (it is printed in the committee's table)."""
    if not names:
        return None
    t = translator(turn.actor.language)
    return t("answer.attachment_note", names=t.join(name[:100] for name in names[:10]))


def read_answers(
    turn: Turn,
    text: str,
    rnd: Round | AnswerableRound,
    *,
    source_key: str | None,
    message_key: str | None = None,
    attachments: Sequence[str] = (),
) -> ParsedAnswers:
    """The answers of a message, each carrying its message and the note of its files."""
    parsed = parse_answers(text, scale=GradeScale.from_json(rnd.scale), source_key=source_key)
    note = attachment_note(turn, attachments)
    if message_key is None and note is None:
        return parsed
    answers = tuple(replace(a, message_key=message_key, note=note) for a in parsed.answers)
    return replace(parsed, answers=answers)


def answer_text(
    turn: Turn,
    text: str,
    *,
    source_key: str | None = None,
    message_key: str | None = None,
    attachments: Sequence[str] = (),
) -> Reply:
    """`12 B comment` lines, stored all or nothing for the one department answering."""
    acting = turn.acting()
    if len(acting) > 1:
        turn.remember(
            AWAIT_DEPARTMENT,
            {
                "text": text,
                "source_key": source_key or turn.source_key,
                "message": message_key,
                "attachments": list(attachments),
            },
            ttl=DEFAULT_TTL,
        )
        names = translator(turn.language).join(m.department_name for m in acting)
        return turn.reply(Choice(msg("choose.department", departments=names), acting, ANSWER))
    if not acting:
        return turn.say(not_linked(turn.session, turn.actor))
    who = _acting(turn, acting[0].department_id)
    rnd = turn.answering_round()
    parsed = read_answers(
        turn,
        text,
        rnd,
        source_key=source_key or turn.source_key,
        message_key=message_key,
        attachments=attachments,
    )
    problems = [Problem(e.line_no, e.error.msg) for e in parsed.errors]
    try:
        if problems:  # unreadable lines: only check the answers, to list every problem at once
            check_answers(
                turn.session,
                round_id=rnd.id,
                department_id=who.department_id,
                answers=parsed.answers,
                acting_as_office=who.proxy,
            )
            return turn.reply(Problems(tuple(problems), lines=parsed.lines))
        result = store(turn, who, rnd.id, list(parsed.answers))
    except AnswersRejected as exc:
        return turn.reply(_refused(exc, lines=parsed.lines, earlier=problems))
    turn.forget(AWAIT_COMMENT)  # a typed answer ends a question left open by a grade button
    return _stored(turn, result)


# --- grade buttons and the comment after them -----------------------------------------------


def grade_button(turn: Turn, intent: GradeButton) -> Reply:
    """Store the grade now (the stored comment is kept), then wait for the comment."""
    who = _acting(turn, intent.department_id)
    answer = AnswerInput(intent.item, intent.grade, None, turn.source_key)
    try:
        result = store(turn, who, intent.round_id, [answer])
    except AnswersRejected as exc:
        return turn.reply(_refused(exc, lines=1))
    turn.remember(
        AWAIT_COMMENT,
        {
            "round_id": intent.round_id,
            "department_id": intent.department_id,
            "item": intent.item,
            "grade": result.outcomes[0].grade,
        },
        ttl=DEFAULT_TTL,
    )
    prompt = CommentPrompt(intent.round_id, intent.department_id, intent.item, intent.last_year)
    return _stored(turn, result, prompt)


def _shortcut_words(message_id: str) -> frozenset[str]:
    """What may be typed instead of pressing a shortcut, in every language."""
    words = {fold_key(translator(lang)(message_id)) for lang in ("ja", "en")}
    for lang in ("ja", "en"):
        words |= {fold_key(w) for w in translator(lang)(f"{message_id}.also").split(",")}
    return frozenset(w for w in words if w)


def awaited_comment(
    turn: Turn, waiting: dict[str, object], text: str, *, message_key: str | None = None
) -> Reply:
    """The text after a grade button is that item's comment (or a shortcut typed out)."""
    round_id, department_id = int(str(waiting["round_id"])), int(str(waiting["department_id"]))
    item = int(str(waiting["item"]))
    key = fold_key(text)
    if key in _shortcut_words("comment.label.none"):
        return comment_shortcut(turn, CommentShortcut(round_id, department_id, item, False))
    if key in _shortcut_words("comment.label.same"):
        return comment_shortcut(turn, CommentShortcut(round_id, department_id, item, True))
    who = _acting(turn, department_id)
    answer = AnswerInput(
        item, str(waiting["grade"]), text, turn.source_key, message_key=message_key
    )
    try:
        result = store(turn, who, round_id, [answer])
    except AnswersRejected as exc:
        return turn.reply(_refused(exc, lines=1))
    turn.forget(AWAIT_COMMENT)
    return _stored(turn, result)


def _slot(turn: Turn, round_id: int, department_id: int, item: int) -> SlotView:
    found = department_slots(
        turn.session,
        round_id=round_id,
        department_id=department_id,
        item_number=item,
        with_paths=False,
    )
    if not found:
        raise NotFound(msg("button.stale"))
    return found[0]


def comment_shortcut(turn: Turn, intent: CommentShortcut) -> Reply:
    """コメントなし keeps the grade with the stored comment; 前年と同じ copies last year's."""
    who = _acting(turn, intent.department_id)
    slot = _slot(turn, intent.round_id, intent.department_id, intent.item)
    turn.forget(AWAIT_COMMENT)
    if slot.grade is None:
        return turn.say(msg("comment.no_grade_yet", item=slot.item_number))
    if intent.same_as_last_year:
        if not slot.previous_comment:
            return turn.say(msg("comment.no_previous", item=slot.item_number))
        answer = AnswerInput(intent.item, slot.grade, slot.previous_comment, turn.source_key)
        try:
            return _stored(turn, store(turn, who, intent.round_id, [answer]))
        except AnswersRejected as exc:
            return turn.reply(_refused(exc, lines=1))
    kept: Message = (
        msg("comment.kept", item=slot.item_number, grade=slot.grade, comment=slot.comment[:40])
        if slot.comment
        else msg("comment.none", item=slot.item_number, grade=slot.grade)
    )
    slots = department_slots(
        turn.session,
        round_id=intent.round_id,
        department_id=intent.department_id,
        with_paths=False,
    )
    return turn.say(kept, Pending(who.department_name, tuple(slots)))


# --- item cards ---------------------------------------------------------------------------


def item_cards(
    rnd: Round, department: Membership | Acting, slots: list[SlotView], *, after_item: int = 0
) -> ItemCards | None:
    """The department's pending items (after `after_item` in plan order) with grade buttons."""
    if after_item:
        numbers = [s.item_number for s in slots]
        slots = slots[numbers.index(after_item) + 1 :] if after_item in numbers else slots
    pending = tuple(
        PendingItem(s.item_number, s.item_display, s.previous_grade)
        for s in slots
        if s.grade is None
    )
    if not pending:
        return None
    scale = GradeScale.from_json(rnd.scale)
    return ItemCards(
        round_id=rnd.id,
        department_id=department.department_id,
        department_name=department.department_name,
        items=pending,
        grades=tuple((g.letter, g.label) for g in scale.grades),
    )


def more_items(turn: Turn, intent: MoreItems) -> Reply:
    who = _acting(turn, intent.department_id)
    rnd = answerable_round(turn.session, round_id=intent.round_id, acting_as_office=who.proxy)
    slots = department_slots(
        turn.session, round_id=rnd.id, department_id=who.department_id, with_paths=False
    )
    cards = item_cards(rnd, who, slots, after_item=intent.after_item)
    return turn.reply(cards) if cards else turn.say(msg("items.none_after"))


# --- which department ---------------------------------------------------------------------


def choose_department(turn: Turn, intent: ChooseDepartment) -> Reply:
    """Answer for this department from now on (a day); re-run the message that waited."""
    who = _acting(turn, intent.department_id)
    turn.remember(
        CHOSEN_DEPARTMENT,
        {"department_id": who.department_id, "department_name": who.department_name},
        ttl=DAY,
    )
    waiting = turn.states().get(AWAIT_DEPARTMENT)
    if waiting is None:
        return turn.say(msg("department.chosen", department=who.department_name))
    turn.forget(AWAIT_DEPARTMENT)
    source_key = waiting.get("source_key")
    message_key = waiting.get("message")
    return answer_text(
        turn,
        str(waiting["text"]),
        source_key=str(source_key) if source_key else None,
        message_key=str(message_key) if message_key else None,
        attachments=[str(name) for name in waiting.get("attachments") or ()],
    )
