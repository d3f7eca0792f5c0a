"""Plan tables between their preview and the office's confirmation.

The uploaded file is kept under the system's temporary folder, in a folder of its own
named by a random id, under its own (cleaned) file name: the importer names the file in
its messages and takes the plan's default name from it. Only the session that uploaded it
can confirm it; kept files older than `KEEP` are removed at the next upload.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(tempfile.gettempdir()) / "hokoku-web-uploads"
KEEP_SECONDS = 3600
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
MAX_NAME = 120
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Kept:
    id: str
    path: Path
    options: dict[str, str]


def clean_name(filename: str) -> str:
    """The file's own name without folders or characters a file system refuses."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[: MAX_NAME - len(suffix) - 1] or "plan"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def suffix_of(filename: str) -> str:
    name = clean_name(filename)
    return name[name.rfind(".") :].lower() if "." in name else ""


def plausible(data: bytes, suffix: str) -> bool:
    """An XLSX is a zip; a text table holds no NUL byte (UTF-16 has a BOM)."""
    if suffix == ".xlsx":
        return data.startswith(ZIP_MAGIC)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return b"\x00" not in data


def _prune(now: float) -> None:
    if not ROOT.is_dir():
        return
    for folder in ROOT.iterdir():
        try:
            if now - folder.stat().st_mtime > KEEP_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def keep(data: bytes, *, filename: str, owner: int, options: dict[str, str]) -> Kept:
    _prune(time.time())
    upload_id = secrets.token_urlsafe(16)
    folder = ROOT / upload_id
    folder.mkdir(parents=True, mode=0o700)
    path = folder / clean_name(filename)
    path.write_bytes(data)
    meta = {"owner": owner, "file": path.name, "options": options}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return Kept(upload_id, path, options)


def take(upload_id: str, *, owner: int) -> Kept | None:
    """The kept file of this id, if this session uploaded it and it is still there."""
    if not _ID.match(upload_id):
        return None
    folder = ROOT / upload_id
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("owner") != owner:
        return None
    path = folder / str(meta["file"])
    return Kept(upload_id, path, dict(meta.get("options", {}))) if path.is_file() else None


def discard(upload_id: str) -> None:
    if _ID.match(upload_id):
        shutil.rmtree(ROOT / upload_id, ignore_errors=True)
