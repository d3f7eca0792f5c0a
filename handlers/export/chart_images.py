"""Chart images at unguessable, expiring URLs, for chat platforms that take an image by URL.

LINE's image message carries only an HTTPS URL, which LINE fetches when the message is
shown. `publish_chart` renders the chart once, stores the PNG with a random 128-bit token
(`secrets.token_urlsafe(16)`) and an expiry, and returns the path `/charts/{token}.png`
that `hokoku serve` answers (`bot.server`); `published_png` is what that route reads.

Why a random token in the database rather than an HMAC-signed URL: every server process
sees the same row (no secret to share and rotate between them), the image is the one that
was sent (a signed URL would redraw the chart from later data when LINE fetches it), and a
published image can be deleted before it expires. Only the token's SHA-256 is stored, so a
copy of the database holds no working URL. Expired rows are pruned hourly
(`scheduler.housekeeping`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.export.charts import render_chart
from handlers.i18n import msg
from models import PublishedChart

TOKEN_BYTES = 16  # 128 bits
PATH_PREFIX = "/charts/"
SUFFIX = ".png"
# What `secrets.token_urlsafe(16)` produces: 22 characters of the URL-safe alphabet.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
# LINE's limits for an image message (originalContentUrl 10 MB, previewImageUrl 1 MB): a
# chart stays under the smaller one, so the same URL serves as both.
MAX_PNG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ChartImage:
    token: str
    url_path: str  # `/charts/{token}.png`, to be put behind HOKOKU_PUBLIC_URL
    expires_at: datetime
    size: int  # bytes of the PNG


@dataclass(frozen=True)
class PublishedPng:
    png: bytes
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def chart_path(token: str) -> str:
    return f"{PATH_PREFIX}{token}{SUFFIX}"


def publish_chart(
    session: Session,
    *,
    round_id: int,
    kind: str,
    today: date,
    now: datetime,
    lifetime: timedelta,
    good: Sequence[str] | None = None,
) -> ChartImage:
    """Render the chart `kind` (completion / grades / yoy) of the round now and publish it
    until `now + lifetime` under a new random token."""
    if lifetime <= timedelta(0):
        raise InvalidInput(msg("chart.lifetime_not_positive"))
    png = render_chart(
        session, round_id=round_id, kind=kind, today=today, good=list(good) if good else None
    )
    if len(png) > MAX_PNG_BYTES:
        raise InvalidInput(msg("chart.too_large", size=f"{len(png):,}"))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + lifetime
    session.add(
        PublishedChart(
            token_hash=_digest(token),
            round_id=round_id,
            kind=kind,
            png=png,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return ChartImage(token=token, url_path=chart_path(token), expires_at=expires_at, size=len(png))


def published_png(session: Session, *, token: str, now: datetime) -> PublishedPng | None:
    """The PNG published under `token`, or None when the token is malformed, unknown or
    expired (the caller answers 404 to all three alike)."""
    if not _TOKEN.match(token):
        return None
    found = session.execute(
        select(PublishedChart.png, PublishedChart.expires_at).where(
            PublishedChart.token_hash == _digest(token), PublishedChart.expires_at > now
        )
    ).first()
    return PublishedPng(png=found[0], expires_at=found[1]) if found else None
