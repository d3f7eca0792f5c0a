"""Japanese fiscal years (April–March) and their 令和 labels."""

from __future__ import annotations

import re
import unicodedata
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


_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_ERA_YEAR = re.compile(r"^(令和|平成|R|H)\s*(元|\d{1,2})\s*(?:年度|年)?")
_WESTERN_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d|21\d\d)(?!\d)")


def parse_fiscal_year(text: str) -> int | None:
    """`2027`, `平成28年度`, `令和元年度`, `R5`, `平成39年度 (2027)` → the western year; else None.

    A written western year wins over the era (plans print `平成39年度（2027）`).
    """
    value = unicodedata.normalize("NFKC", text).strip().upper()
    western = _WESTERN_YEAR.search(value)
    if western:
        return int(western.group(1))
    era = _ERA_YEAR.match(value)
    if era:
        n = 1 if era.group(2) == "元" else int(era.group(2))
        return _ERAS[era.group(1)] + n
    return None
