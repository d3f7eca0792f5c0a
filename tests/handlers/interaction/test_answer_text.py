"""The answer grammar, read like what people type: one answer per line, comments that go on."""

from __future__ import annotations

from handlers.interaction.answer_text import is_answer_line, parse_answers
from handlers.scale import DEFAULT_SCALE, GradeScale

THREE = GradeScale.parse("達成,概ね達成,未達成")


def answers(text: str, scale: GradeScale = DEFAULT_SCALE) -> list[tuple[int, str, str | None]]:
    parsed = parse_answers(text, scale=scale)
    assert parsed.errors == ()
    return [(a.item_number, a.grade, a.comment) for a in parsed.answers]


def test_full_width_line_folds_and_keeps_the_comment_as_typed() -> None:
    assert answers("１２　Ｂ　市広報紙（全戸配布）で周知") == [
        (12, "B", "市広報紙（全戸配布）で周知")
    ]


def test_a_grade_alone_keeps_the_stored_comment() -> None:
    assert answers("3 a") == [(3, "a", None)]


def test_lines_that_are_not_answers_continue_the_comment_above() -> None:
    text = "1 B 啓発を実施した。\n・市広報紙に掲載（年4回）\n・講座を3回開催\n\n\n次年度は拡充予定。\n2 A"
    assert answers(text) == [
        (
            1,
            "B",
            "啓発を実施した。\n・市広報紙に掲載（年4回）\n・講座を3回開催\n\n次年度は拡充予定。",
        ),
        (2, "A", None),
    ]


def test_a_comment_may_start_on_the_next_line() -> None:
    assert answers("4 C\n予算の都合で縮小した") == [(4, "C", "予算の都合で縮小した")]


def test_a_number_followed_by_words_is_part_of_the_comment() -> None:
    assert answers("1 B 講座\n3 回開催した\n2024年度に拡充") == [
        (1, "B", "講座\n3 回開催した\n2024年度に拡充")
    ]


def test_a_short_latin_token_is_read_as_a_wrong_grade_not_as_a_comment() -> None:
    parsed = parse_answers("1 B ok\n2 Z だめ", scale=DEFAULT_SCALE)
    assert [(a.item_number, a.grade) for a in parsed.answers] == [(1, "B"), (2, "Z")]


def test_word_grades_of_the_scale_start_answers() -> None:
    assert answers("5 概ね達成 ほぼ予定どおり\n6 未達成", THREE) == [
        (5, "概ね達成", "ほぼ予定どおり"),
        (6, "未達成", None),
    ]


def test_a_first_line_that_continues_nothing_is_an_error_with_its_line() -> None:
    parsed = parse_answers("よろしくお願いします\n1 B 周知", scale=DEFAULT_SCALE)
    [error] = parsed.errors
    assert error.line_no == 1 and "「項目番号 達成度 コメント」の形" in error.error.message


def test_item_numbers_beyond_the_column_are_refused_by_line() -> None:
    parsed = parse_answers("99999999999 B 大きすぎる\n続き\n1 A ok", scale=DEFAULT_SCALE)
    [error] = parsed.errors
    assert error.line_no == 1 and "大きすぎます" in error.error.message
    assert [a.item_number for a in parsed.answers] == [1]  # its continuation is not an error too


def test_control_characters_are_dropped_and_source_keys_name_the_line() -> None:
    parsed = parse_answers(
        "1 B 広報\x00紙\r\n\r\n2 C x", scale=DEFAULT_SCALE, source_key="slack:Ev1"
    )
    assert [(a.comment, a.source_key) for a in parsed.answers] == [
        ("広報紙", "slack:Ev1#1"),
        ("x", "slack:Ev1#3"),
    ]


def test_is_answer_line_tells_answers_from_group_chatter() -> None:
    assert is_answer_line("12 B よろしく", DEFAULT_SCALE)
    assert is_answer_line("12 e", DEFAULT_SCALE)  # a typo is still meant for the bot
    assert not is_answer_line("3 時に集合", DEFAULT_SCALE)
    assert not is_answer_line("了解です", None)
