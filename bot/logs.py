"""Logging from the settings: HOKOKU_LOG_LEVEL and HOKOKU_LOG_FORMAT (text or JSON lines).

One handler on the root logger, writing to stderr. Chatty libraries stay quiet unless the
level is DEBUG: APScheduler logs two INFO lines per tick ("Running job", "executed
successfully") and Alembic a few per start-up. Secrets never reach a log record: the
settings hold them as SecretStr, and slack_sdk redacts the Authorization header itself.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from bot.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message"]
# Libraries whose INFO lines are noise for the office's IT staff.
QUIET_UNLESS_DEBUG = ("apscheduler", "alembic")


class _StderrHandler(logging.StreamHandler):
    """Writes to the current sys.stderr (test runners swap it between commands)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # under the handler's lock (Handler.handle)
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    """Install hokoku's handler on the root logger (replacing one installed earlier)."""
    install_handler(level=settings.log_level, log_format=settings.log_format)


def install_handler(*, level: str, log_format: str) -> None:
    """configure_logging from the two values (the reply process reads them from its
    environment, without loading the settings)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    library_level = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in QUIET_UNLESS_DEBUG:
        logging.getLogger(name).setLevel(library_level)
