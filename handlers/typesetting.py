"""Typesetting for print: BIZ UDゴシック's metrics, the A4 landscape page, and how many lines
a text wraps to in a cell of a given width.

Shared by the 達成状況一覧's layout (`handlers.export.table_layout`), the committee's sheets
(`handlers.export.sheet_flow`) and the departments' inquiry forms
(`handlers.reporting.inquiry`), so all compute heights and page breaks with the same
arithmetic and print on the same page (`print_setup`); it lives on the ground floor because
the reporting room writes forms and may not import the export room.

The text is set in BIZ UDゴシック, a monospaced Japanese UD font: every full-width character
is exactly 1 em wide, every ASCII or half-width character 0.5 em, lines are 1 em apart
(ascent + descent = 1 em, no line gap). So the number of lines a cell wraps to is computed
by simulating the line breaks (CJK characters break anywhere, ASCII words stay whole,
kinsoku: 、。）」 never start a line, （「 never end one), not estimated.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from typing import Any

FONT_NAME = "BIZ UDゴシック"
# XlsxWriter font properties: a fixed-pitch Shift_JIS font, so what Excel falls back to (MS
# ゴシック) when BIZ UD is missing keeps the same 1 em / 0.5 em widths and the layout holds.
FONT = {"font_name": FONT_NAME, "font_charset": 128, "font_family": 3}
BASE_FONT_SIZE = 10.5  # the workbook's default font: its digit (0.5 em) is 5.25 pt = 7 px
BODY_SIZE = 9.0
TITLE_SIZE = 14.0
HALF = BODY_SIZE / 2  # points per half-width character of body text
LINE = BODY_SIZE  # 1 em line pitch
CELL_PAD = 6.0  # vertical air inside a cell (3 pt above, 3 pt below the text)
TEXT_INSET = 4.5  # horizontal room a cell keeps free of text (margins, border)
PIXEL = 0.75  # row heights are whole screen pixels (Excel shows them that way)
MAX_ROW_HEIGHT = 409.0  # Excel's limit

# XlsxWriter workbook options of every printed workbook: the default font (Excel and
# LibreOffice convert column widths with its digit), text never turned into formulas or links,
# and a default row height no row gets: XlsxWriter then writes every row's height as custom,
# and LibreOffice keeps it instead of re-fitting the row.
DEFAULT_ROW_PIXELS = 23
BOOK_OPTIONS: dict[str, Any] = {
    "default_format_properties": {"font_name": FONT_NAME, "font_size": BASE_FONT_SIZE},
    "default_row_height": DEFAULT_ROW_PIXELS,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}

# A4 landscape, in points; margins in inches as the XLSX stores them.
A4 = 9  # XlsxWriter's paper code
PAGE_WIDTH = 841.89
PAGE_HEIGHT = 595.28
MARGIN_SIDE_IN = 0.5
MARGIN_TOP_IN = 0.6
MARGIN_BOTTOM_IN = 0.6
HEADER_FOOTER_IN = 0.3
# Room kept free on every page against printer drivers that scale a hair differently.
SAFETY = 0.97
PRINT_WIDTH = (PAGE_WIDTH - 2 * 72 * MARGIN_SIDE_IN) * SAFETY
PRINT_HEIGHT = (PAGE_HEIGHT - 72 * (MARGIN_TOP_IN + MARGIN_BOTTOM_IN)) * SAFETY

MIN_CAP = 6  # no column is narrower than this many half-width characters

# Kinsoku (JIS X 4051): characters that never start a line, and never end one.
_NO_START = frozenset(
    "、。，．,.)）]］}｝〕〉》」』】〙〗〟’”ゝゞー―‐–〜～…‥・：；:;？！?!%％"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
)
_NO_END = frozenset("(（[［{｛〔〈《「『【〘〖〝‘“")
_SPACES = frozenset(" \u3000")


@lru_cache(maxsize=4096)
def char_width(ch: str) -> int:
    """1 for ASCII and half-width forms, 2 for wide and ambiguous ones (★, ①, ○ in a
    Japanese font)."""
    return 2 if unicodedata.east_asian_width(ch) in "WFA" else 1


def display_width(text: str) -> int:
    """Width of the longest line in half-width characters."""
    return max((sum(map(char_width, line)) for line in text.split("\n")), default=0)


def _units(paragraph: str) -> list[tuple[int, bool]]:
    """(width, is_space) of the pieces a line may break between."""
    units: list[tuple[int, bool]] = []
    last = ""  # last character of the previous unit
    word = False  # the previous unit is an ASCII word that may grow
    for ch in paragraph:
        width = char_width(ch)
        if ch in _SPACES:
            units.append((width, True))
            word = False
        elif units and not units[-1][1] and (ch in _NO_START or last in _NO_END):
            units[-1] = (units[-1][0] + width, False)  # glued to what comes before
        elif width == 1 and word:
            units[-1] = (units[-1][0] + 1, False)
        else:
            units.append((width, False))
            word = width == 1
        last = ch
    return units


@lru_cache(maxsize=65536)
def wrapped_lines(text: str, capacity: int) -> int:
    """Lines `text` takes in a cell holding `capacity` half-width characters per line."""
    total = 0
    for paragraph in text.split("\n"):
        if sum(map(char_width, paragraph)) <= capacity:
            total += 1
            continue
        lines, x = 1, 0
        for width, space in _units(paragraph):
            if x + width <= capacity:
                x += width
            elif space:
                lines, x = lines + 1, 0  # the space disappears at the break
            elif width <= capacity:
                lines, x = lines + 1, width
            else:  # a word longer than a line is cut by characters
                if x:
                    lines += 1
                lines += (width - 1) // (capacity - 1)
                x = width - (width - 1) // (capacity - 1) * (capacity - 1)
        total += lines
    return total


def text_height(text: str, capacity: int, *, size: float = BODY_SIZE) -> float:
    """Points a cell needs for `text` (at least one line), padding included."""
    return wrapped_lines(text, capacity) * size + CELL_PAD if text else size + CELL_PAD


def pixels(points: float) -> float:
    """`points` rounded up to whole screen pixels."""
    return math.ceil(points / PIXEL - 1e-9) * PIXEL


def column_points(capacity: int) -> float:
    return capacity * HALF + TEXT_INSET


def print_setup(ws: Any) -> None:
    """The printed page of every workbook hokoku writes (an XlsxWriter worksheet): A4
    landscape, these margins, page numbers in the footer, centred."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.set_margins(
        left=MARGIN_SIDE_IN, right=MARGIN_SIDE_IN, top=MARGIN_TOP_IN, bottom=MARGIN_BOTTOM_IN
    )
    ws.set_header("", {"margin": HEADER_FOOTER_IN})
    ws.set_footer("&C&P / &N", {"margin": HEADER_FOOTER_IN})
    ws.center_horizontally()
