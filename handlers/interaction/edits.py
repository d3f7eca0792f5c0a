"""Edited and taken-back messages: the answers of a chat message follow the message.

An edit (Slack message_changed, LINE messageEdited) is read again like the message it
replaces: its answers become new revisions (first answers, when the original was refused),
answers the message no longer gives are withdrawn, and the reply says what changed. An
edit that changes nothing is silent (Slack also sends message_changed when a link preview
is added), and so is the edit of a message that never was an answer (chatter, a command:
commands are not run again). A message older than its round's close (or than the round
itself) is not read again: the reply says to send a new message.

An unsend (LINE) or delete (Slack) withdraws the message's answers
(handlers.reporting.withdrawals): each goes back to the answer before it, or to unanswered.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.errors import HokokuError
from handlers.i18n import FiscalYear, msg
from handlers.interaction.access import answering_for, not_linked
from handlers.interaction.answer_text import is_answer_line
from handlers.interaction.answers import answer_text, read_answers, store
from handlers.interaction.intents import Edited, Unsent
from handlers.interaction.reply import Change, Changes, Pending, Problem, Problems, Reply
from handlers.interaction.turn import Turn
from handlers.normalize import clean_text
from handlers.reporting.reports import (
    DUPLICATE,
    UNCHANGED,
    AnswersRejected,
    check_answers,
    department_slots,
)
from handlers.reporting.withdrawals import Withdrawn, message_answered, withdraw_message
from handlers.scale import GradeScale
from models import Round

CLOCK_SKEW = timedelta(minutes=5)  # the platform's clock against ours


def _too_old(rnd: Round, edited: Edited) -> bool:
    """Was the message sent before this round closed (when it has), or before it opened
    (give or take the platform's clock)? Without the send time (LINE), a closed round is
    enough."""
    sent = edited.sent_at
    if rnd.closed_at is not None and (sent is None or sent < rnd.closed_at):
        return True
    return sent is not None and sent < rnd.created_at - CLOCK_SKEW


def _answers_here(turn: Turn, text: str) -> bool:
    """Does the edited text start with an answer line (of the open round's scale)?"""
    if is_answer_line(text, None):
        return True
    try:
        scale = GradeScale.from_json(turn.view_round().scale)
    except HokokuError:  # no round at all: nothing to answer
        return False
    return is_answer_line(text, scale)


def edited(turn: Turn, intent: Edited) -> Reply:
    """Read an edited message again; say what changed (nothing: no reply)."""
    text = clean_text(intent.text).strip()
    answered = message_answered(turn.session, message_key=intent.message)
    if answered is None and not (text and _answers_here(turn, text)):
        return turn.reply()  # an edit of chatter or of a command: not read again
    if not turn.caller.linked:
        return turn.say(not_linked(turn.session, turn.actor)) if intent.addressed else turn.reply()
    rnd = answered.round if answered is not None else turn.view_round()
    if _too_old(rnd, intent):
        return turn.say(msg("edit.too_old", year=FiscalYear(rnd.fiscal_year)))
    if answered is None:
        acting = turn.acting()
        if len(acting) != 1:  # which department: asked as for a new message
            return answer_text(
                turn, text, message_key=intent.message, attachments=intent.attachments
            )
        department_id = acting[0].department_id
    else:
        department_id = answered.department_id
    who = answering_for(turn.session, turn.caller, turn.actor, department_id)
    before = {
        s.item_number: (s.grade, s.comment)
        for s in department_slots(
            turn.session, round_id=rnd.id, department_id=department_id, with_paths=False
        )
    }
    parsed = read_answers(
        turn,
        text,
        rnd,
        source_key=turn.source_key,
        message_key=intent.message,
        attachments=intent.attachments,
    )
    problems = [Problem(e.line_no, e.error.msg) for e in parsed.errors]
    try:
        if problems:
            check_answers(
                turn.session,
                round_id=rnd.id,
                department_id=department_id,
                answers=parsed.answers,
                acting_as_office=who.proxy,
            )
            return turn.reply(Problems(tuple(problems), lines=parsed.lines))
        result = store(turn, who, rnd.id, list(parsed.answers))
    except AnswersRejected as exc:
        found = [Problem(e.line_no, e.error.msg) for e in exc.errors]
        return turn.reply(Problems(tuple(problems + found), lines=parsed.lines))
    withdrawal = withdraw_message(
        turn.session,
        message_key=intent.message,
        reporter=turn.actor.person,
        channel=turn.actor.platform,
        now=turn.now,
        keep_items={o.item_number for o in result.outcomes},
    )
    changes = [
        Change(
            item_number=o.item_number,
            item_display=o.item_display,
            before=before.get(o.item_number, (None, ""))[0],
            after=o.grade,
            comment_changed=before.get(o.item_number, (None, ""))[1] != o.comment,
        )
        for o in result.outcomes
        if o.status not in (UNCHANGED, DUPLICATE)
    ]
    changes += [_change(w, before) for w in withdrawal.withdrawn]
    if not changes:
        return turn.reply()  # the edit changed nothing the bot reads
    return turn.reply(
        Changes(msg("edit.applied"), tuple(changes)),
        Pending(result.department_name, result.slots),
        stored=result.outcomes,
    )


def _change(withdrawn: Withdrawn, before: dict[int, tuple[str | None, str]]) -> Change:
    was = before.get(withdrawn.item_number, (withdrawn.grade, ""))[0]
    return Change(
        item_number=withdrawn.item_number,
        item_display=withdrawn.item_display,
        before=was,
        after=withdrawn.grade,
        withdrawn=True,
    )


def unsent(turn: Turn, intent: Unsent) -> Reply:
    """The message's answers go back to the answers before them (or to unanswered)."""
    answered = message_answered(turn.session, message_key=intent.message)
    before: dict[int, tuple[str | None, str]] = {}
    if answered is not None:
        before = {
            s.item_number: (s.grade, s.comment)
            for s in department_slots(
                turn.session,
                round_id=answered.round.id,
                department_id=answered.department_id,
                with_paths=False,
            )
        }
    result = withdraw_message(
        turn.session,
        message_key=intent.message,
        reporter=turn.actor.person,
        channel=turn.actor.platform,
        now=turn.now,
    )
    if not result.withdrawn:
        if result.closed and result.round is not None:
            return turn.say(msg("unsend.closed", year=FiscalYear(result.round.fiscal_year)))
        return turn.reply()  # the message carried no answer
    assert result.department_id is not None and result.round is not None
    slots = department_slots(
        turn.session,
        round_id=result.round.id,
        department_id=result.department_id,
        with_paths=False,
    )
    department_name = result.withdrawn[0].department_name
    return turn.reply(
        Changes(msg("unsend.applied"), tuple(_change(w, before) for w in result.withdrawn)),
        Pending(department_name, tuple(slots)),
    )
