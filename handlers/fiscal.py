"""Japanese fiscal years (April–March) and their 令和 labels."""

from __future__ import annotations

from datetime import date

REIWA_OFFSET = 2018  # 令和N年度 = FY (2018 + N)


def reiwa_label(fiscal_year: int) -> str:
    """`2023` → `令和5年度`; `2019` → `令和元年度`; before 令和 → `平成N年度`."""
    if fiscal_year >= 2019:
        n = fiscal_year - REIWA_OFFSET
        return f"令和{'元' if n == 1 else n}年度"
    n = fiscal_year - 1988
    return f"平成{'元' if n == 1 else n}年度"


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def reported_fiscal_year(opens_on: date) -> int:
    """The fiscal year a round opening on `opens_on` usually reports on: the one before it.

    Japanese fiscal years run April–March; the yearly report is collected in spring about
    the year that just ended (a round opening 2025-05-01 reports on FY2024, 令和6年度).
    """
    return fiscal_year_of(opens_on) - 1


def era_marker(fiscal_year: int) -> str:
    """The short year mark of committee tables: `2023` → `R5`, `2018` → `H30`."""
    if fiscal_year >= 2019:
        return f"R{fiscal_year - REIWA_OFFSET}"
    return f"H{fiscal_year - 1988}"
