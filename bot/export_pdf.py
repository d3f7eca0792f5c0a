"""The handout as PDF, rendered by LibreOffice (`soffice --headless --convert-to pdf`).

An adapter to an external program, so it lives in bot/: handlers/ only lays the sheet out.
Each conversion runs with its own throw-away LibreOffice profile, so it works beside an
open LibreOffice window and beside other conversions running at the same time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from handlers.errors import HokokuError
from handlers.i18n import msg

TIMEOUT_SECONDS = 300


class PdfUnavailable(HokokuError):
    """No LibreOffice on this machine, or it failed to render the file."""


def soffice() -> str | None:
    """Path of LibreOffice's command line program, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(source: Path) -> Path:
    """Render `source` to `source.pdf` beside it (written whole or not at all)."""
    program = soffice()
    if program is None:
        raise PdfUnavailable(msg("pdf.no_soffice"))
    target = source.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="hokoku-pdf-") as work:
        profile = Path(work, "profile").as_uri()
        command = [
            program,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            work,
            str(source),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise PdfUnavailable(msg("pdf.timeout", seconds=TIMEOUT_SECONDS)) from exc
        produced = Path(work, f"{source.stem}.pdf")
        if done.returncode != 0 or not produced.is_file():
            reason = done.stderr.decode(errors="replace").strip().splitlines()
            raise PdfUnavailable(
                msg("pdf.failed_because", reason=reason[-1]) if reason else msg("pdf.failed")
            )
        partial = target.with_name(f".{target.name}.partial")
        shutil.copyfile(produced, partial)
        os.replace(partial, target)
    return target
