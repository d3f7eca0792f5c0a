"""The office's dashboard: the latest round by goal and by department (overdue first), last
year beside this year, the charts and the indicators. It redraws itself when answers
arrive: the page polls `/web/live`, which answers 204 until the round's answer stamp
changes, then the new live part.

A department's member who opens `/web/` is sent to their own department's page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from bot.web.console import Web
from handlers.committee.compare import Comparison, compare_rounds
from handlers.committee.indicators import IndicatorStatus, indicator_status
from handlers.errors import NotFound
from handlers.export.charts import KINDS, render_chart
from handlers.i18n import msg
from handlers.interaction.access import require_office
from handlers.reporting.rounds import VIEW, RoundChoice, resolve_round, round_choices
from handlers.reporting.status import DepartmentStatus, StatusSummary, answer_stamp, summarize
from models import Round
from models.db import transaction

CHART_CACHE = 24  # PNGs kept per server (a chart is redrawn only when the answers change)


@dataclass(frozen=True)
class Dashboard:
    round: Round
    summary: StatusSummary
    comparison: Comparison
    indicators: tuple[IndicatorStatus, ...]
    departments: tuple[DepartmentStatus, ...]  # overdue first, then pending, then done
    stamp: str
    rounds: tuple[RoundChoice, ...]
    previous_year: int | None  # the fiscal year last year's round reported on

    @property
    def good_now(self) -> int:
        """Slots graded good (the plan's good grades) this year."""
        return self.comparison.overall.good(self.comparison.good)

    @property
    def good_before(self) -> int:
        counts = self.comparison.overall.previous_counts
        return sum(counts.get(letter, 0) for letter in self.comparison.good)


def chosen_round(session: Session, web: Web) -> Round:
    """The round of `?round=`, else the one the sign-in link was for (an answer link), else
    the latest (open first, else the last closed)."""
    ref: str | int | None = web.query("round") or web.caller.round_id
    return resolve_round(session, organization_id=web.organization_id, ref=ref, purpose=VIEW)


def ordered(summary: StatusSummary) -> tuple[DepartmentStatus, ...]:
    """Overdue departments first (most overdue first), then those with answers missing,
    then those done; within each, the directory's order."""
    return tuple(
        sorted(
            summary.departments,
            key=lambda d: (0 if d.overdue else 1 if d.pending else 2, -d.overdue),
        )
    )


def dashboard(
    session: Session, web: Web, *, rnd: Round | None = None, stamp: str | None = None
) -> Dashboard:
    """The dashboard of `rnd` (default: the chosen round); `stamp`: its answer stamp when
    the caller has just read it (the live poll), so it is not read twice."""
    rnd = rnd if rnd is not None else chosen_round(session, web)
    summary = summarize(session, round_id=rnd.id, today=web.today)
    comparison = compare_rounds(session, round_id=rnd.id, per_department=False)
    previous = (
        session.get(Round, comparison.previous_round_id)
        if comparison.previous_round_id is not None
        else None
    )
    return Dashboard(
        round=rnd,
        summary=summary,
        comparison=comparison,
        previous_year=previous.fiscal_year if previous is not None else None,
        indicators=tuple(indicator_status(session, round_id=rnd.id)),
        departments=ordered(summary),
        stamp=stamp if stamp is not None else answer_stamp(session, rnd=rnd),
        rounds=tuple(round_choices(session, organization_id=web.organization_id)),
    )


def home(web: Web) -> Response:
    """`/web/`: the dashboard for the office, the department's page for a member."""
    if not web.office:
        return web.redirect(f"/web/departments/{web.caller.department_id}")
    with transaction(web.runtime.reader) as session:
        try:
            data = dashboard(session, web)
        except NotFound as exc:
            if web.query("round"):
                raise
            return web.render("empty.html", message=exc.msg)
    return web.render("dashboard.html", data=data, kinds=KINDS)


def live(web: Web) -> Response:
    """The dashboard's live part when the stamp the page has is out of date, else 204."""
    require_office(web.access)
    with transaction(web.runtime.reader) as session:
        rnd = chosen_round(session, web)
        stamp = answer_stamp(session, rnd=rnd)
        if stamp == web.query("stamp"):
            return Response(status_code=204, headers={"Cache-Control": "no-store"})
        data = dashboard(session, web, rnd=rnd, stamp=stamp)
    response = web.render("dashboard_live.html", data=data, kinds=KINDS)
    response.headers["X-Hokoku-Stamp"] = data.stamp
    return response


def stamp(web: Web) -> Response:
    require_office(web.access)
    with transaction(web.runtime.reader) as session:
        rnd = chosen_round(session, web)
        value = answer_stamp(session, rnd=rnd)
    return JSONResponse({"round": rnd.id, "stamp": value})


class _Charts:
    """The last charts drawn, by (round, kind, stamp): polling pages share them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[int, str, str], bytes] = OrderedDict()

    def get(self, key: tuple[int, str, str]) -> bytes | None:
        with self._lock:
            png = self._kept.get(key)
            if png is not None:
                self._kept.move_to_end(key)
            return png

    def put(self, key: tuple[int, str, str], png: bytes) -> None:
        with self._lock:
            self._kept[key] = png
            while len(self._kept) > CHART_CACHE:
                self._kept.popitem(last=False)


_CHARTS = _Charts()


def chart(web: Web) -> Response:
    """`/web/charts/{kind}.png?round=R`: a chart of the round as PNG (the office's)."""
    require_office(web.access)
    kind = web.request.path_params["kind"]
    if kind not in KINDS:
        raise NotFound(msg("web.chart_unknown"))
    with transaction(web.runtime.reader) as session:
        rnd = chosen_round(session, web)
        key = (rnd.id, kind, answer_stamp(session, rnd=rnd))
        png = _CHARTS.get(key)
        if png is None:
            png = render_chart(session, round_id=rnd.id, kind=kind, today=web.today)
            _CHARTS.put(key, png)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})
