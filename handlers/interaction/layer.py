"""The interaction layer's entry: one inbound in, one reply out, for every channel.

`handle` runs inside the adapter's transaction: it claims the delivery (a redelivery
returns None and does nothing), finds who acts and in which language, and dispatches the
intent. A user's mistake becomes the reply, never an exception; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from handlers.errors import HokokuError
from handlers.i18n import msg, translator
from handlers.interaction import answers, edits, forms
from handlers.interaction.access import caller_of, claimed_caller_of, not_linked
from handlers.interaction.answer_text import is_answer_line
from handlers.interaction.commands import find_command, help_reply
from handlers.interaction.conversation import AWAIT_COMMENT
from handlers.interaction.intents import (
    ChooseDepartment,
    CommentShortcut,
    Edited,
    FormPage,
    GradeButton,
    Inbound,
    Joined,
    Left,
    MoreItems,
    NotText,
    OpenForm,
    ShowHome,
    StaleButton,
    Text,
    Unsent,
)
from handlers.interaction.reply import Reply, Say
from handlers.interaction.turn import Turn, language_of
from handlers.normalize import clean_text, fold
from handlers.organization.identities import unlink_identity
from handlers.scale import GradeScale
from models import Round


def handle(session: Session, inbound: Inbound) -> Reply | None:
    """Answer one inbound; None when this delivery was already handled."""
    actor = inbound.actor
    if inbound.delivery:
        claimed = claimed_caller_of(session, actor, delivery=inbound.delivery, now=inbound.now)
        if claimed is None:
            return None
        caller = claimed
    else:
        caller = caller_of(session, actor, now=inbound.now)
    turn = Turn(session, inbound, caller, language_of(caller, actor))
    handler = HANDLERS[type(inbound.intent)]
    try:
        return handler(turn, inbound.intent)
    except HokokuError as exc:
        hint = f"hint.chat.{exc.msg.id}"
        more = (Say(msg(hint)),) if translator(turn.language).has(hint) else ()
        return turn.say(exc.msg, *more)


def _text(turn: Turn, intent: Text) -> Reply:
    """A command, answers, or the comment a grade button is waiting for."""
    text = clean_text(intent.text).strip()
    if not text:
        return help_reply(turn)
    head, _, argument = fold(text).partition(" ")
    command = find_command(head)
    if command is not None:
        if command.linked_only and not turn.caller.linked:
            return turn.say(not_linked(turn.session, turn.actor))
        return command.run(turn, argument.strip())
    if intent.commands_only:
        help_parts = help_reply(turn).parts
        return turn.reply(Say(msg("command.unknown", name=head[:40])), *help_parts)
    # `12 B …` (a short Latin grade) is an answer line whatever the scale; anything else
    # needs a closer look only when it might be a comment or group chatter.
    plainly_answer = is_answer_line(text, None)
    if not turn.caller.linked:
        if not (intent.addressed or plainly_answer or _answer_line(turn, text)):
            return turn.reply()  # chatter in a group the bot is not linked to
        return turn.say(not_linked(turn.session, turn.actor))
    if not plainly_answer:
        waiting = turn.states().get(AWAIT_COMMENT)
        if waiting is not None and not is_answer_line(text, _scale(turn, waiting)):
            return answers.awaited_comment(turn, waiting, text, message_key=intent.message)
        if not intent.addressed and not _answer_line(turn, text):
            return turn.reply()  # the group's own conversation: not for the bot
    return answers.answer_text(
        turn, text, message_key=intent.message, attachments=intent.attachments
    )


def _answer_line(turn: Turn, text: str) -> bool:
    """Does this start an answer with a grade of the open round (group chatter test)?"""
    try:
        scale: GradeScale | None = GradeScale.from_json(turn.open_round().scale)
    except HokokuError:
        scale = None
    return is_answer_line(text, scale)


def _scale(turn: Turn, waiting: dict[str, Any]) -> GradeScale | None:
    rnd = turn.session.get(Round, int(waiting["round_id"]))
    return GradeScale.from_json(rnd.scale) if rnd else None


def _joined(turn: Turn, intent: Joined) -> Reply:
    if intent.group:
        return turn.say(msg("greeting.group"))
    if turn.caller.linked:
        return turn.say(msg("greeting.back"))
    # Unblocked: the links ended at the block (`_left`); say so, and how to link again.
    return turn.say(msg("greeting.unblocked" if intent.unblocked else "greeting.user"))


def _left(turn: Turn, _intent: Left) -> Reply:
    """Blocked, or removed from the group: the links end (rows and audit kept)."""
    actor = turn.actor
    unlink_identity(
        turn.session,
        platform=actor.platform,
        external_id=actor.chat_id,
        actor=f"{actor.platform}:{actor.person}",
        now=turn.now,
    )
    return turn.reply()


def _not_text(turn: Turn, _intent: NotText) -> Reply:
    return turn.reply() if turn.actor.in_group else turn.say(msg("hint.text_only"))


def _stale(turn: Turn, _intent: StaleButton) -> Reply:
    return turn.say(msg("button.stale"))


HANDLERS: dict[type, Callable[[Turn, Any], Reply]] = {
    Text: _text,
    GradeButton: answers.grade_button,
    CommentShortcut: answers.comment_shortcut,
    MoreItems: answers.more_items,
    ChooseDepartment: answers.choose_department,
    OpenForm: forms.open_form,
    FormPage: forms.form_page,
    ShowHome: lambda turn, _intent: forms.home(turn),
    Edited: edits.edited,
    Unsent: edits.unsent,
    Joined: _joined,
    Left: _left,
    NotText: _not_text,
    StaleButton: _stale,
}
