"""Charts render as real PNGs with Japanese text in the bundled font (no tofu)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy.orm import Session

from handlers.committee.results_import import import_results
from handlers.errors import InvalidInput
from handlers.export.charts import KINDS, render_chart
from handlers.organization.directory import find_department, get_or_create_organization
from handlers.plan.table_import import import_plan
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import open_round
from models import Plan

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def round_id(session: Session, samples_dir: Path) -> int:
    """FY2024 of the Tsurugashima excerpt with FY2023 imported and three answers given."""
    sample = samples_dir / "tsurugashima_results_excerpt.csv"
    org = get_or_create_organization(session, name="鶴ヶ島市").id
    plan = session.get_one(Plan, import_plan(session, organization_id=org, path=sample).plan_id)
    import_results(
        session, organization_id=org, plan_id=plan.id, path=sample, fiscal_year=2023, reporter="t"
    )
    info = open_round(
        session, plan=plan, fiscal_year=2024, deadline=date(2025, 5, 31), opens_on=date(2025, 4, 1)
    )
    for dept, number, grade in (
        ("女性センター", 1, "A"),
        ("学校教育課", 3, "C"),
        ("秘書広報課", 6, "B"),
    ):
        submit_answer(
            session,
            round_id=info.id,
            department_id=find_department(session, organization_id=org, name=dept).id,
            item_number=number,
            grade=grade,
            comment="",
            reporter="t",
            channel="test",
        )
    return info.id


@pytest.mark.filterwarnings("error:Glyph")
@pytest.mark.parametrize("kind", KINDS)
def test_chart_is_a_drawn_png_with_every_glyph(session: Session, round_id: int, kind: str) -> None:
    png = render_chart(session, round_id=round_id, kind=kind, today=date(2025, 5, 1))
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 10_000
    image = Image.open(io.BytesIO(png))
    width, height = image.size
    assert width >= 600 and height >= 250
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20  # not a blank canvas
    assert (pixels < 128).mean() > 0.005  # there is ink: bars, labels, text


def test_the_glyph_check_catches_tofu() -> None:
    """Control: without the Japanese font matplotlib warns, so the filter above has teeth."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        figure = Figure()
        figure.subplots().set_title("回答状況")
        with pytest.warns(UserWarning, match="Glyph .* missing from font"):
            FigureCanvasAgg(figure).print_png(io.BytesIO())


def test_unknown_kind_is_refused(session: Session, round_id: int) -> None:
    with pytest.raises(InvalidInput, match="completion / grades / yoy"):
        render_chart(session, round_id=round_id, kind="pie", today=date(2025, 5, 1))
