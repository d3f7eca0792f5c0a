"""Jinja2 for the console's pages: autoescaped HTML, every word from the catalogs.

Templates live in `bot/web/templates`; they get the reader's translator as `t` (`t("id")`,
`t.render(message)`), dates and fiscal years in the reader's language, and the time zone of
the office. Autoescape is on for every template, so plan and department names (user input)
are always text, never markup.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handlers.i18n import FiscalYear, Message, Translator
from handlers.reporting.status import channel_label, describe_channels

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


class Templates:
    """The template environment of one server (time zone and static files' version)."""

    def __init__(self, *, timezone: str, version: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"], default_for_string=True, default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.version = version

    def render(self, name: str, *, t: Translator, **context: Any) -> str:
        template = self.env.get_template(name)
        return template.render(
            t=t,
            tr=t.render,
            fy=lambda year: t.fiscal_year(int(year)),
            day=lambda value: t.date(value) if isinstance(value, date) else "",
            iso=lambda value: value.isoformat() if isinstance(value, date) else "",
            when=self._when,
            number=lambda value: f"{value:,}",
            channel=lambda value: t.render(channel_label(str(value))),
            channels=lambda counts: describe_channels(t, counts),
            lang=t.language,
            static=lambda path: f"/web/static/{path}?v={self.version}",
            Message=Message,
            FiscalYear=FiscalYear,
            **context,
        )

    def _when(self, value: datetime | None) -> str:
        """A moment in the office's time zone, `2025-05-12 09:30`."""
        return f"{value.astimezone(self.zone):%Y-%m-%d %H:%M}" if value else ""
