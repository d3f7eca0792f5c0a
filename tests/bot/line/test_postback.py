"""Postback data: round trip, the 300-character limit, and data we did not make."""

from __future__ import annotations

import pytest

from bot.line.limits import POSTBACK_DATA
from bot.line.postback import decode, encode
from handlers.interaction.intents import (
    ChooseDepartment,
    CommentShortcut,
    GradeButton,
    MoreItems,
    OpenForm,
)


def test_round_trip() -> None:
    for intent in (
        GradeButton(12, 345, item=111, grade="概ね達成"),
        GradeButton(1, 2, item=3, grade="B", last_year=True),
        MoreItems(1, 2, after_item=24),
        CommentShortcut(1, 2, 3, same_as_last_year=True),
        CommentShortcut(1, 2, 3, same_as_last_year=False),
        ChooseDepartment(9),
        OpenForm(4, 5),
    ):
        data = encode(intent)
        assert len(data) <= POSTBACK_DATA
        assert decode(data) == intent


@pytest.mark.parametrize(
    "data", ["", "a=zz&r=1&d=1", "a=g&r=x&d=1", "a=g&d=1", "hello", "a=g&r=1&d=99999999999&i=1"]
)
def test_foreign_data_is_no_intent(data: str) -> None:
    assert decode(data) is None


def test_too_long_data_is_refused() -> None:
    with pytest.raises(ValueError):
        encode(GradeButton(1, 1, item=1, grade="長" * 200))
