"""Japanese fiscal years (April–March) and the year a round reports on."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.fiscal import fiscal_year_of, reiwa_label, reported_fiscal_year


@pytest.mark.parametrize(
    ("opens_on", "reported"),
    [
        (date(2025, 4, 1), 2024),
        (date(2025, 6, 30), 2024),
        (date(2025, 3, 31), 2023),
        (date(2026, 1, 5), 2024),
    ],
)
def test_a_round_reports_on_the_fiscal_year_before_the_one_it_opens_in(
    opens_on: date, reported: int
) -> None:
    assert reported_fiscal_year(opens_on) == reported == fiscal_year_of(opens_on) - 1


def test_labels() -> None:
    assert [reiwa_label(y) for y in (2018, 2019, 2024)] == ["平成30年度", "令和元年度", "令和6年度"]
