"""Published chart images: random tokens, only their hash stored, gone once expired."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.export.chart_images import chart_path, publish_chart, published_png
from models import PublishedChart, utcnow
from tests.factories import build_plan, open_test_round

TODAY = date(2024, 6, 1)


@pytest.fixture
def round_id(session: Session) -> int:
    plan = build_plan(session, items=[("周知", ["女性センター"]), ("講座", ["職員課"])])
    return open_test_round(session, plan).id


def test_a_published_chart_is_found_by_its_token_until_it_expires(
    session: Session, round_id: int
) -> None:
    now = utcnow()
    image = publish_chart(
        session,
        round_id=round_id,
        kind="completion",
        today=TODAY,
        now=now,
        lifetime=timedelta(minutes=30),
    )
    assert len(image.token) == 22 and image.url_path == f"/charts/{image.token}.png"
    assert chart_path(image.token) == image.url_path
    assert image.expires_at == now + timedelta(minutes=30)
    stored = session.scalars(select(PublishedChart)).one()
    # Only the token's SHA-256 is kept: a copy of the database holds no working URL.
    assert stored.token_hash == hashlib.sha256(image.token.encode()).hexdigest()
    assert image.token not in stored.token_hash and stored.kind == "completion"
    found = published_png(session, token=image.token, now=now + timedelta(minutes=29))
    assert found is not None and found.png == stored.png and len(found.png) == image.size
    assert found.png.startswith(b"\x89PNG")
    assert published_png(session, token=image.token, now=image.expires_at) is None
    for bad in ("", "short", image.token[:-1] + "!", "../" + image.token[3:], image.token + "x"):
        assert published_png(session, token=bad, now=now) is None
    other = publish_chart(
        session, round_id=round_id, kind="grades", today=TODAY, now=now, lifetime=timedelta(1)
    )
    assert other.token != image.token  # 128 random bits each


def test_refusals(session: Session, round_id: int) -> None:
    now = utcnow()
    with pytest.raises(InvalidInput, match="グラフの種類「pie」はありません"):
        publish_chart(
            session, round_id=round_id, kind="pie", today=TODAY, now=now, lifetime=timedelta(1)
        )
    with pytest.raises(InvalidInput, match="公開期間"):
        publish_chart(
            session, round_id=round_id, kind="yoy", today=TODAY, now=now, lifetime=timedelta(0)
        )
    assert session.scalars(select(PublishedChart)).all() == []
