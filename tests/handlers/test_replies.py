"""Chat renderings: the number to type stands out from the source's own code."""

from __future__ import annotations

import pytest

from handlers.replies import item_label, render_pending
from handlers.reports import SlotView


@pytest.mark.parametrize(
    ("number", "display", "shown"),
    [
        (4, "3 男女共同参画研修の充実", "[4] 3 男女共同参画研修の充実"),  # Kiyose: codes restart
        (12, "①情報誌パリティの発行と配布", "[12] ①情報誌パリティの発行と配布"),
        (1, "1 人権尊重の理念に基づいた意識の啓発", "[1] 人権尊重の理念に基づいた意識の啓発"),
        (7, "男女別統計", "[7] 男女別統計"),
    ],
)
def test_item_label(number: int, display: str, shown: str) -> None:
    assert item_label(number, display) == shown


def test_pending_list_brackets_the_number_to_type() -> None:
    def slot(number: int, display: str, grade: str | None) -> SlotView:
        return SlotView(
            report_id=number,
            item_number=number,
            item_code=display.split(" ")[0],
            item_title=display,
            item_display=display,
            path=(),
            department_id=1,
            department_name="職員課",
            grade=grade,
            comment="",
            revision=0,
            previous_grade=None,
            previous_comment="",
        )

    text = render_pending(
        [slot(3, "2 推進体制", "B"), slot(4, "3 男女共同参画研修の充実", None)],
        department_name="職員課",
    )
    assert text.splitlines() == ["職員課: 未回答 1件（全2件）", "[4] 3 男女共同参画研修の充実"]
