"""Postback data: round trip, the 300-character limit, and data we did not make."""

from __future__ import annotations

import pytest

from bot.line.postback import ACTION_GRADE, ACTION_NEXT, MAX_DATA, Postback, decode, encode
from handlers.errors import InvalidInput


def test_round_trip() -> None:
    for postback in (
        Postback(ACTION_GRADE, 12, 345, item=111, grade="概ね達成"),
        Postback(ACTION_NEXT, 1, 2, item=24),
    ):
        data = encode(postback)
        assert len(data) <= MAX_DATA
        assert decode(data) == postback


@pytest.mark.parametrize("data", ["", "a=zz&r=1&d=1", "a=g&r=x&d=1", "a=g&d=1", "hello"])
def test_foreign_data_is_invalid_input(data: str) -> None:
    with pytest.raises(InvalidInput):
        decode(data)


def test_too_long_data_is_refused() -> None:
    with pytest.raises(ValueError):
        encode(Postback(ACTION_GRADE, 1, 1, item=1, grade="長" * 200))
