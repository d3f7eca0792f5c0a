"""The CLI's help texts, from the message catalog in HOKOKU_LANGUAGE.

Typer reads help strings when the commands are defined, so the language is read from the
environment here, once, at import (a `.env` file is read later, with the settings: set
HOKOKU_LANGUAGE in the environment for English help). Cheap: stdlib gettext, no settings.
"""

from __future__ import annotations

import os

from handlers.i18n import translator

H = translator(os.environ.get("HOKOKU_LANGUAGE"))
