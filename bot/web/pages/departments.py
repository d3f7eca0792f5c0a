"""A department's page: its slots with last year's answer, the current answer and its
history, and the form that answers them.

The form is the chat's answer form (Slack's modal) on one page: a POST becomes the
interaction layer's `FormPage` intent, so the same handler validates it, stores it through
`submit_answers` (revisions, `source_key`, the office's answers audited as proxy answers,
a closed round refused to departments with the chat's message), and a resubmitted form
(same `submit_key`) stores nothing twice. Answers are stored on the `web` channel, or on
`email` when the session was started by an e-mailed answer link.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from starlette.responses import Response

from bot import intake
from bot.web.console import Web
from bot.web.pages.dashboard import chosen_round, ordered
from handlers.i18n import Message, msg
from handlers.interaction import Actor, Surface
from handlers.interaction.access import may_view, require_office
from handlers.interaction.forms import GENERAL
from handlers.interaction.intents import Entry, FormPage
from handlers.interaction.reply import Confirmation, FormErrors, Reply, Say
from handlers.interaction.text import part_lines
from handlers.organization.departments import department_overview
from handlers.organization.web_access import AnswerLinks, answer_links
from handlers.reporting.history import RevisionView, department_history
from handlers.reporting.reports import SlotView, department_slots
from handlers.reporting.rounds import RoundChoice, round_choices
from handlers.reporting.status import summarize
from handlers.scale import GradeScale
from models import Department, Round
from models.db import transaction

PLATFORM = "web"
ONE_PAGE = 100_000  # the whole department's form on one page
MAX_ITEM = 2**31 - 1


@dataclass(frozen=True)
class DepartmentPage:
    department: Department
    round: Round
    scale: GradeScale
    slots: tuple[SlotView, ...]
    history: Mapping[int, list[RevisionView]]
    rounds: tuple[RoundChoice, ...]
    answerable: bool  # the form takes answers (a member: the round is open)
    proxy: bool  # the office answers for the department (audited)

    @property
    def answered(self) -> int:
        return sum(1 for slot in self.slots if slot.grade is not None)


def load(session: Session, web: Web, department_id: int) -> DepartmentPage:
    department = may_view(
        session, web.access, organization_id=web.organization_id, department_id=department_id
    )
    rnd = chosen_round(session, web)
    return DepartmentPage(
        department=department,
        round=rnd,
        scale=GradeScale.from_json(rnd.scale),
        slots=tuple(department_slots(session, round_id=rnd.id, department_id=department.id)),
        history=department_history(session, round_id=rnd.id, department_id=department.id),
        rounds=tuple(round_choices(session, organization_id=web.organization_id)),
        answerable=web.office or not rnd.is_closed,
        proxy=web.office,
    )


def _department_id(web: Web) -> int:
    text = web.request.path_params["department_id"]
    return int(text) if text.isdigit() and int(text) <= MAX_ITEM else 0


def show(web: Web) -> Response:
    with transaction(web.runtime.reader) as session:
        data = load(session, web, _department_id(web))
    return web.render("department.html", data=data, form=_new_form(), values={}, errors={})


def listing(web: Web) -> Response:
    """Every department of the round with its progress, whether anyone is linked in chat,
    and whether the answer links e-mailed to it were opened."""
    require_office(web.access)
    with transaction(web.runtime.reader) as session:
        rnd = chosen_round(session, web)
        summary = summarize(session, round_id=rnd.id, today=web.today)
        linked = {
            d.name: len(d.identities)
            for d in department_overview(session, organization_id=web.organization_id)
        }
        rounds = tuple(round_choices(session, organization_id=web.organization_id))
        mailed = answer_links(session, organization_id=web.organization_id, round_id=rnd.id)
    return web.render(
        "departments.html",
        round=rnd,
        summary=summary,
        departments=ordered(summary),
        linked=linked,
        mail=_mail_by_department(mailed),
        rounds=rounds,
    )


@dataclass(frozen=True)
class MailedLinks:
    """A department's e-mailed answer links for the round, as its row shows them."""

    addresses: int
    opened: int
    first_opened_at: datetime | None


def _mail_by_department(links: Sequence[AnswerLinks]) -> dict[int, MailedLinks]:
    """By department id: to how many addresses links went, how many opened one, and when
    the first was opened (a department that answers by e-mail and stays silent shows as
    not opened)."""
    grouped: dict[int, list[AnswerLinks]] = {}
    for link in links:
        grouped.setdefault(link.department_id, []).append(link)
    return {
        department_id: MailedLinks(
            addresses=len(rows),
            opened=sum(1 for r in rows if r.opened),
            first_opened_at=min((r.opened_at for r in rows if r.opened_at), default=None),
        )
        for department_id, rows in grouped.items()
    }


def _new_form() -> dict[str, str]:
    """A form instance: its id (the draft the layer keeps) and the submission's key."""
    return {"form_id": secrets.token_urlsafe(12), "submit_key": secrets.token_urlsafe(16)}


def _values(web: Web) -> dict[int, Entry]:
    """`grade-12` / `comment-12` fields as the layer's entries (grade None: left empty)."""
    values: dict[int, Entry] = {}
    for name, value in web.fields():
        kind, _, number = name.partition("-")
        if kind not in ("grade", "comment") or not number.isdigit():
            continue
        item = int(number)
        if not 0 < item <= MAX_ITEM:
            continue
        grade, comment = values.get(item, (None, ""))
        if kind == "grade":
            grade = value.strip() or None
        else:
            comment = value
        values[item] = (grade, comment)
    return values


def _actor(web: Web) -> Actor:
    """The person of this session; an e-mailed answer link's answers are on the "email"
    channel (status: メールのリンク), any other session's on "web"."""
    return Actor(
        organization_id=web.organization_id,
        platform=web.caller.channel,
        person=web.caller.reporter,
        chat_id=f"{PLATFORM}:session{web.caller.session_id}",
        language=web.language,
        surface=Surface(forms=True, form_page_size=ONE_PAGE),
        links=web.access.memberships,
    )


def answer(web: Web) -> Response:
    """POST: store the form through the interaction layer (the Slack modal's handler)."""
    department_id = _department_id(web)
    round_text = web.field("round")
    values = _values(web)
    form_id = web.field("form_id")[:40] or secrets.token_urlsafe(12)
    submit_key = web.field("submit_key")[:60] or secrets.token_urlsafe(16)
    with transaction(web.runtime.reader) as session:
        data = load(session, web, department_id)  # may this person see it at all?
    if round_text and round_text != str(data.round.id):
        return web.problem(msg("web.round_changed"), status=409)
    intent = FormPage(
        round_id=data.round.id,
        department_id=data.department.id,
        page=0,
        values=values,
        form_id=form_id,
        submit_key=f"{PLATFORM}:{submit_key}",
    )
    reply = intake.run(web.runtime, _actor(web), intent)  # every chat's one way in
    errors = reply.find(FormErrors) if reply is not None else None
    if errors is not None:
        with transaction(web.runtime.reader) as session:
            data = load(session, web, department_id)
        return web.render(
            "department.html",
            status=409 if GENERAL in errors.errors and data.round.is_closed else 400,
            data=data,
            form={"form_id": form_id, "submit_key": submit_key},
            values=values,
            errors=_field_errors(errors.errors),
        )
    lines = _said(web, reply)
    return web.redirect(
        f"/web/departments/{data.department.id}",
        flash=lines or [web.t("web.answers.again")],
        round=data.round.id,
    )


def _field_errors(errors: Mapping[tuple[str, int], Message]) -> dict[str, Message]:
    """Errors by field id (`grade-12`), the form's own under `general`."""
    return {("general" if key == GENERAL else f"{key[0]}-{key[1]}"): m for key, m in errors.items()}


def _said(web: Web, reply: Reply | None) -> list[str]:
    """What the chat would say after storing: the sentence and what was stored."""
    if reply is None:
        return []
    lines: list[str] = []
    for part in reply.parts:
        if isinstance(part, Say | Confirmation):
            lines.extend(part_lines(web.t, part))
    return lines
