"""The message catalogs are complete: every id the code uses has Japanese and English text
with the same placeholders, and the committed .mo files are compiled from their .po."""

from __future__ import annotations

import ast
import gettext
import io
import re
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from handlers.i18n import (
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    FiscalYear,
    msg,
    normalize_language,
    translator,
)
from handlers.interaction.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
ID = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
FILES = (".csv", ".xlsx", ".mo", ".po", ".html", ".png", ".css", ".js")
# `t("web.nav.plans")` in the web console's templates (bot/web/templates).
TEMPLATE_ID = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")


def catalog(language: str) -> dict[str, tuple[str, ...]]:
    """id → its text(s) (several for plural forms), from the .po source."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        messages = read_po(po, locale=language)
    found: dict[str, tuple[str, ...]] = {}
    for message in messages:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        found[key] = (
            tuple(message.string) if isinstance(message.string, tuple) else (message.string,)
        )
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def used_ids() -> dict[str, str]:
    """Every string in the code that looks like a message id of a catalog namespace."""
    namespaces = {key.split(".")[0] for key in catalog("ja")}
    found: dict[str, str] = {}
    for folder in ("handlers", "bot", "scheduler"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                    continue
                value = node.value
                namespace = value.split(".")[0]
                if ID.match(value) and namespace in namespaces and not value.endswith(FILES):
                    found.setdefault(value, str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "bot" / "web" / "templates").glob("*.html")):
        for key in TEMPLATE_ID.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(ROOT)))
    for command in COMMANDS:  # ids made from the command table
        found[f"command.{command.name}"] = "handlers/interaction/commands.py"
        found[f"command.{command.name}.usage"] = "handlers/interaction/commands.py"
    for month in range(1, 13):
        found[f"month.{month}"] = "handlers/i18n.py"
    return found


def test_both_catalogs_have_the_same_ids_all_translated() -> None:
    ja, en = catalog("ja"), catalog("en")
    assert set(ja) == set(en), set(ja) ^ set(en)
    for language, texts in (("ja", ja), ("en", en)):
        empty = [key for key, forms in texts.items() if not all(forms)]
        assert not empty, f"{language}: no text for {empty}"


def test_every_id_the_code_uses_is_in_the_catalogs() -> None:
    ids = set(catalog("ja"))
    missing = {key: where for key, where in used_ids().items() if key not in ids}
    assert not missing


# Ids whose languages use different parameters on purpose (the code passes both).
DIFFERENT = {
    "fiscal_year": "令和 era (ja) or the western year (en)",
    "fiscal_year.short": "R7 (ja) or FY2025 (en)",
    "handout.unit.item": "the plan's own word for an item (ja) or items (en)",
}


def test_placeholders_agree_between_languages() -> None:
    ja, en = catalog("ja"), catalog("en")
    for key, forms in ja.items():
        if key in DIFFERENT:
            continue
        expected = placeholders(forms[0])
        for form in en[key]:  # an English singular may leave out {count}
            assert placeholders(form) - {"count"} == expected - {"count"}, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_files_are_compiled_from_the_po(language: str) -> None:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    with (folder / f"{DOMAIN}.po").open("rb") as po:
        source = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, source)
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)
    with (folder / f"{DOMAIN}.mo").open("rb") as mo:
        committed = gettext.GNUTranslations(mo)
    texts = {k: v for k, v in committed._catalog.items() if k != ""}  # type: ignore[attr-defined]
    source_texts = {k: v for k, v in expected._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert texts == source_texts, "run `make catalogs` and commit the .mo files"


def test_dates_fiscal_years_and_languages() -> None:
    ja, en = translator("ja"), translator("en")
    assert ja.date(date(2025, 5, 31)) == "2025年5月31日"
    assert en.date(date(2025, 5, 31)) == "May 31, 2025"
    assert ja.fiscal_year(2025) == "令和7年度" and en.fiscal_year(2025) == "FY2025"
    assert ja.fiscal_year_short(2025) == "R7" and en.fiscal_year_short(2025) == "FY2025"
    assert en.render(msg("round.closed", year=FiscalYear(2019))).startswith("Reporting for FY2019")
    assert ja.render(msg("round.closed", year=FiscalYear(2019))).startswith("令和元年度")
    assert en.plural("list.more", 1) == "…and 1 more"
    assert ja.render(msg("department.not_found.close", name="x", names=("a", "b"))).endswith("a、b")
    assert en.render(msg("department.not_found.close", name="x", names=("a", "b"))).endswith("a, b")
    assert [normalize_language(v) for v in ("en-US", "ja_JP", "EN", "日本語", "fr", None)] == [
        "en",
        "ja",
        "en",
        "ja",
        None,
        None,
    ]
    assert translator("fr").language == "ja"  # unknown: the default
