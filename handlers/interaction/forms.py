"""The answer form (Slack's modal): open it, turn pages keeping what was typed, store it.

A page submit is one transaction that reads the department's slots once: validate, then
save the draft and build the next page, or store every answer of the form (claimed once
per submission, so a retried submit stores nothing twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.errors import HokokuError
from handlers.i18n import FiscalYear, Message, msg
from handlers.interaction import conversation
from handlers.interaction.access import (
    FormTarget,
    answering_for,
    not_linked,
    round_and_department,
)
from handlers.interaction.answers import item_cards, store
from handlers.interaction.dedupe import claim_event
from handlers.interaction.intents import Entry, FormPage, OpenForm
from handlers.interaction.reply import (
    Confirmation,
    FormErrors,
    FormView,
    Home,
    HomeSection,
    Pending,
    Reply,
    Say,
)
from handlers.interaction.turn import Turn
from handlers.reporting.reports import (
    MAX_COMMENT,
    AnswerInput,
    SlotView,
    answerable_round,
    department_slots,
    takes_answers,
)
from handlers.reporting.rounds import get_round
from handlers.reporting.status import summarize
from handlers.scale import GradeScale
from models import Round

GENERAL = ("general", 0)  # where a problem of the whole form is shown


def page_count(items: int, page_size: int) -> int:
    return max(1, -(-items // page_size))


def _view(
    turn: Turn,
    rnd: Round,
    department_name: str,
    department_id: int,
    slots: list[SlotView],
    *,
    page: int,
    values: Mapping[int, Entry],
) -> FormView:
    size = turn.actor.surface.form_page_size
    pages = page_count(len(slots), size)
    page = min(max(page, 0), pages - 1)
    return FormView(
        round_id=rnd.id,
        department_id=department_id,
        fiscal_year=rnd.fiscal_year,
        department_name=department_name,
        deadline=rnd.deadline,
        scale=GradeScale.from_json(rnd.scale),
        slots=tuple(slots[page * size : (page + 1) * size]),
        values=dict(values),
        page=page,
        pages=pages,
        total_items=len(slots),
    )


def open_form(turn: Turn, intent: OpenForm) -> Reply:
    """Page 1 of a department's form, prefilled with its stored answers; where there are no
    forms (LINE, the console), its pending items with grade buttons."""
    who = answering_for(turn.session, turn.caller, turn.actor, intent.department_id)
    rnd = answerable_round(turn.session, round_id=intent.round_id, acting_as_office=who.proxy)
    forms = turn.actor.surface.forms
    slots = department_slots(
        turn.session, round_id=rnd.id, department_id=who.department_id, with_paths=forms
    )
    if not forms:
        cards = item_cards(rnd, who, slots)
        return turn.reply(Pending(who.department_name, tuple(slots)), *((cards,) if cards else ()))
    view = _view(turn, rnd, who.department_name, who.department_id, slots, page=0, values={})
    return turn.reply(view)


def validate(values: Mapping[int, Entry], scale: GradeScale) -> dict[tuple[str, int], Message]:
    """Per item: a grade of the scale, no comment without a grade, comments not too long."""
    errors: dict[tuple[str, int], Message] = {}
    for number, (grade, comment) in values.items():
        if grade is not None and scale.match(grade) is None:
            errors["grade", number] = msg("form.grade_invalid", grades=scale.hint())
        elif grade is None and comment.strip():
            errors["grade", number] = msg("form.comment_only")
        if len(comment.strip()) > MAX_COMMENT:
            errors["comment", number] = msg(
                "answer.comment_too_long", limit=MAX_COMMENT, length=len(comment.strip())
            )
    return errors


def _draft(turn: Turn, form_id: str) -> dict[int, Entry]:
    data = conversation.recall(
        turn.session,
        platform=turn.actor.platform,
        chat_id=form_id,
        user_id=turn.actor.person,
        kind=conversation.FORM_DRAFT,
        now=turn.now,
    )
    answers: dict[str, Any] = (data or {}).get("answers", {})
    return {int(n): (v[0], str(v[1])) for n, v in answers.items()}


def _save_draft(turn: Turn, form_id: str, values: Mapping[int, Entry]) -> dict[int, Entry]:
    """Merge this page's values into the form's draft; returns the whole draft."""
    merged = {**_draft(turn, form_id), **values}
    conversation.remember(
        turn.session,
        platform=turn.actor.platform,
        chat_id=form_id,
        user_id=turn.actor.person,
        kind=conversation.FORM_DRAFT,
        data={"answers": {str(n): [g, c] for n, (g, c) in merged.items()}},
        now=turn.now,
        ttl=conversation.DAY,
    )
    return merged


def form_page(turn: Turn, intent: FormPage) -> Reply:
    """A page submitted: errors on their fields, the next (or previous) page, or stored."""
    try:
        return _form_page(turn, intent)
    except HokokuError as exc:
        return turn.reply(FormErrors({GENERAL: exc.msg}))


def _turn_page(turn: Turn, target: FormTarget, intent: FormPage, *, page: int) -> Reply:
    """Keep what this page holds as the draft and show the page `page` (0-based)."""
    draft = _save_draft(turn, intent.form_id, intent.values)
    session = turn.session
    rnd = get_round(session, round_id=target.round.id)
    slots = department_slots(session, round_id=rnd.id, department_id=target.department_id)
    return turn.reply(
        _view(
            turn, rnd, target.department_name, target.department_id, slots, page=page, values=draft
        )
    )


def _form_page(turn: Turn, intent: FormPage) -> Reply:
    session = turn.session
    target = round_and_department(
        session,
        organization_id=turn.actor.organization_id,
        round_id=intent.round_id,
        department_id=intent.department_id,
    )
    rnd, department_id, department_name = target.round, target.department_id, target.department_name
    who = answering_for(session, turn.caller, turn.actor, department_id)
    takes_answers(rnd, acting_as_office=who.proxy)
    if intent.back:
        return _turn_page(turn, target, intent, page=intent.page - 1)
    errors = validate(intent.values, GradeScale.from_json(rnd.scale))
    if errors:
        return turn.reply(FormErrors(errors))
    if intent.page < page_count(target.slots, turn.actor.surface.form_page_size) - 1:
        return _turn_page(turn, target, intent, page=intent.page + 1)
    if not claim_event(session, platform=turn.actor.platform, event_key=intent.submit_key):
        return turn.reply()  # the same submission again: already stored and confirmed
    # The draft is left to expire: housekeeping prunes it. A page that holds every slot of
    # the department (a form of one page) replaces whatever a draft could hold: not read.
    draft = _draft(turn, intent.form_id) if len(intent.values) < target.slots else {}
    merged = {**draft, **intent.values}
    answers = [
        AnswerInput(number, grade, comment, f"{turn.actor.platform}:form:{intent.form_id}:{number}")
        for number, (grade, comment) in sorted(merged.items())
        if grade is not None
    ]
    year = FiscalYear(rnd.fiscal_year)
    if not answers:
        slots = department_slots(
            session, round_id=rnd.id, department_id=department_id, with_paths=False
        )
        return turn.say(
            msg("form.nothing_stored", year=year, department=department_name),
            Pending(department_name, tuple(slots)),
        )
    result = store(turn, who, rnd.id, answers)
    return turn.reply(
        Say(msg("form.stored", year=year, department=department_name, count=len(result.outcomes))),
        Confirmation(result.outcomes),
        Pending(result.department_name, result.slots),
        stored=result.outcomes,
    )


def home(turn: Turn) -> Reply:
    """A person's overview: their departments' items in the open round, or the office's
    progress of it."""
    if not turn.caller.linked:
        return turn.say(not_linked(turn.session, turn.actor))
    rnd = turn.open_round()
    if turn.caller.office:
        summary = summarize(turn.session, round_id=rnd.id, today=turn.today)
        return turn.reply(Home(rnd.id, rnd.fiscal_year, rnd.plan.display_title, status=summary))
    sections = tuple(
        HomeSection(
            member,
            tuple(
                department_slots(
                    turn.session,
                    round_id=rnd.id,
                    department_id=member.department_id,
                    with_paths=False,  # the Home lists show numbers and titles only
                )
            ),
        )
        for member in turn.caller.memberships
    )
    return turn.reply(Home(rnd.id, rnd.fiscal_year, rnd.plan.display_title, sections=sections))
