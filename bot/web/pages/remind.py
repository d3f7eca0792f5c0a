"""Remind now: the office picks departments that still owe answers and reminds them at once.

The reminder goes through the outbox as the scheduler's own reminder of today
(`scheduler.on_demand`): pressing twice, or the scheduler's reminder of the same day,
sends nothing twice. Departments nobody is linked to are named, not silently skipped.
"""

from __future__ import annotations

from starlette.responses import Response

from bot.web.console import Web
from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.organization.departments import department_overview
from handlers.reporting.rounds import ANSWER, resolve_round
from handlers.reporting.status import summarize
from models.db import transaction
from scheduler.on_demand import remind_now

MAX_CHOSEN = 2000


def page(web: Web) -> Response:
    with transaction(web.runtime.reader) as session:
        rnd = resolve_round(
            session,
            organization_id=web.organization_id,
            ref=web.query("round") or None,
            purpose=ANSWER,
        )
        summary = summarize(session, round_id=rnd.id, today=web.today)
        linked = {
            d.name: len(d.identities)
            for d in department_overview(session, organization_id=web.organization_id)
        }
    owing = [d for d in summary.departments if d.pending]
    return web.render("remind.html", round=rnd, summary=summary, owing=owing, linked=linked)


def send(web: Web) -> Response:
    chosen = [
        int(value)
        for name, value in web.fields()
        if name == "department" and value.isdigit() and len(value) < 10
    ][:MAX_CHOSEN]
    if not chosen:
        raise InvalidInput(msg("web.remind.none_chosen"))
    round_text = web.field("round")
    with transaction(web.runtime.reader) as session:
        rnd = resolve_round(
            session, organization_id=web.organization_id, ref=round_text or None, purpose=ANSWER
        )
        round_id = rnd.id
    calendar = web.console.calendar
    result = remind_now(
        web.runtime.factory,
        web.console.messengers,
        web.now,
        round_id=round_id,
        department_ids=chosen,
        calendar=calendar,
        workers=web.runtime.settings.send_workers,
    )
    t = web.t
    lines = [
        t(
            f"web.remind.done.{result.purpose}",
            count=result.enqueued,
            departments=t.join(result.departments) or "—",
            sent=result.delivery.sent,
            failed=result.delivery.failed,
        )
    ]
    if result.already:
        lines.append(t("web.remind.already", count=result.already))
    held = sum(u.count for u in result.unconfigured)
    if held:
        platforms = t.join(u.platform for u in result.unconfigured)
        lines.append(t("web.remind.held", count=held, platforms=platforms))
    if result.unlinked:
        lines.append(t("web.remind.unlinked", departments=t.join(result.unlinked)))
    return web.redirect("/web/remind", flash=lines, round=round_id)
