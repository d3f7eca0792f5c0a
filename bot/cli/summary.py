"""`hokoku status --summary`: the committee's summary sentences (Japanese or English)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.common import console, print_json, user_errors
from bot.cli.texts import H
from handlers.committee.summary_text import LANGUAGES, SummaryText, check_language
from handlers.i18n import translator
from handlers.reporting.status import StatusSummary

SummaryOption = Annotated[
    bool,
    typer.Option("--summary", help=H("cli.summary.summary")),
]
LangOption = Annotated[str | None, typer.Option("--lang", help=H("cli.summary.lang"))]


def print_summary(summary: StatusSummary, text: SummaryText, *, lang: str, as_json: bool) -> None:
    with user_errors():
        check_language(lang)
    if as_json:
        print_json(
            {
                "round": summary.round_id,
                "label": summary.round_label,
                "summary": {language: text.lines(language) for language in LANGUAGES},
            }
        )
        return
    t = translator(lang)  # the heading in the summary's language
    console.print(
        f"[bold]{escape(t.fiscal_year(summary.fiscal_year))} {escape(summary.plan_name)}[/]"
        + escape(t("cli.summary.round", round=summary.round_id)),
        highlight=False,
    )
    for line in text.lines(lang):
        console.print(line, highlight=False, soft_wrap=True, markup=False)
