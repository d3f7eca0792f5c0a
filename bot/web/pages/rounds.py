"""The rounds: open one, move its deadline, close it, reopen it.

The same handlers as `hokoku round open / edit / close / reopen` decide (their rules and
their errors); like the CLI, a moved deadline drops messages planned for the old one that
have not gone out (`scheduler.replan`). Every change is audited with the person's name.
"""

from __future__ import annotations

from datetime import date

from starlette.responses import Response

from bot.cli.options import parse_date
from bot.web.console import Web
from handlers.errors import InvalidInput
from handlers.fiscal import reported_fiscal_year
from handlers.i18n import msg
from handlers.organization.directory import resolve_plan
from handlers.plan.view import list_plans
from handlers.reporting.rounds import (
    ANSWER,
    VIEW,
    RoundInfo,
    answered_counts,
    close_round,
    edit_round,
    list_rounds,
    open_round,
    reopen_round,
    resolve_round,
)
from handlers.scale import DEFAULT_SCALE, GradeScale
from models.db import transaction
from scheduler.replan import drop_unplanned_sends


def _date(web: Web, name: str, label: str, *, required: bool = True) -> date | None:
    text = web.field(name).strip()
    if not text:
        if required:
            raise InvalidInput(msg("web.round.date_missing", field=web.t(label)))
        return None
    return parse_date(text, option=web.t(label), today=web.today)


def rounds(web: Web) -> Response:
    with transaction(web.runtime.reader) as session:
        found = list_rounds(session, organization_id=web.organization_id)
        counts = answered_counts(session, organization_id=web.organization_id)
        plans = list_plans(session, organization_id=web.organization_id)
    return web.render(
        "rounds.html",
        rounds=list(reversed(found)),
        counts=counts,
        plans=plans,
        year=reported_fiscal_year(web.today),
        scale=DEFAULT_SCALE,
    )


def _label(web: Web, info: RoundInfo) -> str:
    return web.t(
        "web.round.caption",
        id=info.id,
        year=web.t.fiscal_year(info.fiscal_year),
        plan=info.plan_title or info.plan_name,
    )


def open_new(web: Web) -> Response:
    year_text = web.field("year").strip()
    if not year_text.isdigit() or len(year_text) > 4:
        raise InvalidInput(msg("web.round.year_invalid", year=year_text[:10]))
    deadline = _date(web, "deadline", "web.round.deadline")
    opens_on = _date(web, "opens", "web.round.opens", required=False) or web.today
    assert deadline is not None
    spec = web.field("scale").strip()
    scale = GradeScale.parse(spec) if spec else DEFAULT_SCALE
    with transaction(web.runtime.factory) as session:
        plan = resolve_plan(session, organization_id=web.organization_id, ref=web.field("plan"))
        info = open_round(
            session,
            plan=plan,
            fiscal_year=int(year_text),
            deadline=deadline,
            opens_on=opens_on,
            scale=scale,
        )
    lines = [
        web.t(
            "web.round.opened",
            round=_label(web, info),
            slots=info.slots,
            opens=web.t.date(info.opens_on),
            deadline=web.t.date(info.deadline),
        ),
        web.t("web.round.grades", grades=web.t.join(g.describe() for g in info.scale.grades)),
    ]
    return web.redirect("/web/rounds", flash=lines)


def _round_id(web: Web) -> str:
    return web.request.path_params["round_id"][:12]


def close(web: Web) -> Response:
    with transaction(web.runtime.factory) as session:
        rnd = resolve_round(
            session, organization_id=web.organization_id, ref=_round_id(web), purpose=ANSWER
        )
        was_closed = rnd.is_closed
        info = close_round(session, rnd=rnd, actor=web.caller.reporter, now=web.now)
    key = "web.round.already_closed" if was_closed else "web.round.closed"
    return web.redirect("/web/rounds", flash=[web.t(key, round=_label(web, info))])


def reopen(web: Web) -> Response:
    calendar = web.console.calendar
    deadline = _date(web, "deadline", "web.round.deadline", required=False)
    with transaction(web.runtime.factory) as session:
        rnd = resolve_round(
            session, organization_id=web.organization_id, ref=_round_id(web), purpose=VIEW
        )
        was_closed = rnd.is_closed
        info = reopen_round(session, rnd=rnd, actor=web.caller.reporter, deadline=deadline)
        drop_unplanned_sends(session, rnd=rnd, calendar=calendar)
    key = "web.round.reopened" if was_closed else "web.round.already_open"
    lines = [web.t(key, round=_label(web, info), deadline=web.t.date(info.deadline))]
    if info.deadline < web.today:
        lines.append(web.t("web.round.past_deadline"))
    return web.redirect("/web/rounds", flash=lines)


def move_deadline(web: Web) -> Response:
    calendar = web.console.calendar
    deadline = _date(web, "deadline", "web.round.deadline")
    assert deadline is not None
    with transaction(web.runtime.factory) as session:
        rnd = resolve_round(
            session, organization_id=web.organization_id, ref=_round_id(web), purpose=VIEW
        )
        before = rnd.deadline
        info = edit_round(session, rnd=rnd, actor=web.caller.reporter, deadline=deadline)
        dropped = drop_unplanned_sends(session, rnd=rnd, calendar=calendar)
    if before == info.deadline:
        line = web.t(
            "web.round.deadline_same", round=_label(web, info), deadline=web.t.date(before)
        )
    else:
        line = web.t(
            "web.round.deadline_moved",
            round=_label(web, info),
            before=web.t.date(before),
            deadline=web.t.date(info.deadline),
            dropped=dropped,
        )
    return web.redirect("/web/rounds", flash=[line])
