from __future__ import annotations

import pytest

from handlers.errors import InvalidInput
from handlers.fiscal import reiwa_label
from handlers.scale import DEFAULT_SCALE, GradeScale


def test_default_scale_has_labels_and_bands() -> None:
    assert DEFAULT_SCALE.grades[0].describe() == "A 計画以上 100%～"


@pytest.mark.parametrize(
    ("spec", "typed", "expected"),
    [
        ("A,B,C,D,E,未", "ｅ", "E"),
        ("A,B,C,D,E,未", "未", "未"),
        ("達成,概ね達成,未達成", "概ね達成", "概ね達成"),
    ],
)
def test_configurable_scales_match_what_is_typed(spec: str, typed: str, expected: str) -> None:
    assert GradeScale.parse(spec).match(typed) == expected


def test_labels_and_bands_can_be_given() -> None:
    scale = GradeScale.parse("A:達成:100%,B:未達成")
    assert GradeScale.from_json(scale.to_json()) == scale
    assert scale.grades[0].describe() == "A 達成 100%"


@pytest.mark.parametrize("spec", ["A", "A,a", "1,2,3"])
def test_bad_scales_are_refused(spec: str) -> None:
    with pytest.raises(InvalidInput):
        GradeScale.parse(spec)


def test_reiwa_labels() -> None:
    assert (reiwa_label(2019), reiwa_label(2023), reiwa_label(2018)) == (
        "令和元年度",
        "令和5年度",
        "平成30年度",
    )
