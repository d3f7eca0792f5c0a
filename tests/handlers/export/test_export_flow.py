"""Lines of the committee's sheets on A4 pages: widths fill the page, rows never overflow it,
captions and headers stay with what follows, sections say where they continue."""

from __future__ import annotations

import itertools

from handlers.export.sheet_flow import (
    Cell,
    Line,
    SheetLayout,
    fit_columns,
    line_height,
    natural_widths,
    paginate,
    section_heading,
    span_capacity,
)
from handlers.i18n import translator
from handlers.typesetting import (
    BODY_SIZE,
    MIN_CAP,
    PRINT_HEIGHT,
    PRINT_WIDTH,
    column_points,
    wrapped_lines,
)


def _pages(layout: SheetLayout) -> list[list[int]]:
    starts = [0, *layout.breaks, len(layout.lines)]
    return [list(range(a, b)) for a, b in itertools.pairwise(starts)]


def test_columns_fill_the_printable_width_and_the_rest_column_takes_what_is_left() -> None:
    caps = fit_columns([20, 8, 8, MIN_CAP], rest=3)
    assert caps[:3] == (20, 8, 8)
    assert sum(column_points(c) for c in caps) <= PRINT_WIDTH
    assert sum(column_points(c) for c in caps) > PRINT_WIDTH - column_points(1)
    # Too wide: the others shrink evenly (never below the minimum), the rest keeps its wish.
    squeezed = fit_columns([200, 150, MIN_CAP, 40], rest=3)
    assert squeezed[2] == MIN_CAP and squeezed[3] >= 40 and squeezed[0] > squeezed[1]
    assert sum(column_points(c) for c in squeezed) <= PRINT_WIDTH


def test_a_line_is_as_high_as_its_most_wrapped_cell() -> None:
    caps = (10, 30)
    long = "あ" * 40  # 80 half-width characters in a 30-character column: 3 lines
    assert wrapped_lines(long, 30) == 3
    line = Line(cells=(Cell("短い"), Cell(long)))
    assert line_height(line, caps) >= 3 * BODY_SIZE + 6
    merged = Line(cells=(Cell(long, span=2),))
    assert span_capacity(caps, 0, 2, BODY_SIZE) > 40
    assert line_height(merged, caps) < line_height(line, caps)
    assert natural_widths([line, merged], 2) == [4, 80]


CONTINUED = translator("ja")("handout.continued")


def test_pages_never_overflow_and_headers_repeat() -> None:
    caps = fit_columns([10, MIN_CAP], rest=1)
    header = Line(cells=(Cell("番号", "header"), Cell("内容", "header")), keep_with_next=True)
    rows = [Line(cells=(Cell(str(n)), Cell("説明" * (n % 7 + 1) * 20))) for n in range(120)]
    layout = paginate(
        "テスト",
        [Line(cells=(Cell("題", "title", span=2),)), header, *rows],
        caps,
        header=1,
        continued=CONTINUED,
    )
    assert layout.pages > 2 and layout.header == 1 and layout.oversize == 0
    for number, page in enumerate(_pages(layout)):
        repeated = layout.heights[1] if number else 0.0
        assert sum(layout.heights[i] for i in page) + repeated <= PRINT_HEIGHT
    assert layout.rows[121] == len(layout.lines) - 1  # every given line placed once


def test_captions_stay_with_the_next_line_and_sections_continue() -> None:
    caps = fit_columns([10, MIN_CAP], rest=1)
    lines: list[Line] = []
    for goal in ("I 意識づくり", "II 働き方"):
        lines.append(section_heading(goal, 2))
        lines += [Line(cells=(Cell(f"{n}"), Cell("内容" * 60)), section=goal) for n in range(25)]
    layout = paginate("節", lines, caps, continued=CONTINUED)
    for page in _pages(layout)[1:]:
        first = layout.lines[page[0]]
        assert first.cells[0].style == "section"  # a page never starts with a bare row
        last = layout.lines[page[-1]]
        assert not last.keep_with_next or page[-1] == len(layout.lines) - 1
    continued = [
        line.cells[0].text for line in layout.lines if line.cells[0].text.endswith(CONTINUED)
    ]
    assert continued and all(
        text[: -len(CONTINUED)] in ("I 意識づくり", "II 働き方") for text in continued
    )


def test_a_line_taller_than_a_page_is_placed_alone_and_counted() -> None:
    caps = fit_columns([MIN_CAP, MIN_CAP], rest=1)
    lines = [Line(height=100.0), Line(height=PRINT_HEIGHT + 50.0), Line(height=100.0)]
    layout = paginate("大", lines, caps, continued=CONTINUED)
    assert layout.oversize == 1 and layout.breaks == (1, 2)
