"""Writing the 照会様式: one XLSX per department, to be filled in Excel and mailed back.

What a department gets, top to bottom: the title (year, plan), its name and the deadline,
the office's contact, how to fill it in, the grade legend, two cells for who answered; then
a table with the header repeated on every printed page: a section row wherever the
hierarchy (基本目標 › 課題 › 施策) changes, and per slot its item number and title, last
year's grade and comment, and the two input cells, grade (a drop-down of the round's scale)
and comment (wrapping). The sheet is protected without a password: only the input cells
are open (rows may still be made taller). A very hidden sheet carries the seal
(`handlers.reporting.inquiry.seal`).

Printed, a form is A4 landscape at 100 % like the handout (`handlers.typesetting`): column
widths fill the printable width, row heights are computed from the texts in BIZ UDゴシック
(an input row keeps room for at least `INPUT_LINES` lines, or last year's comment's
length), and page breaks are set so that a section row never ends a page.

Forms carry last year's answer, not the current one: a form mailed back late must not undo
an answer given meanwhile in chat or on the web with the values it was written with. A
blank line of a returned form changes nothing.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from handlers.fiscal import era_marker
from handlers.i18n import FiscalYear, Translator, translator
from handlers.organization.departments import named_departments
from handlers.reporting.inquiry.seal import SEAL_SHEET, Seal, SealedSlot
from handlers.reporting.reports import SlotView, round_slots
from handlers.reporting.rounds import get_round, previous_round
from handlers.scale import GradeScale
from handlers.typesetting import (
    BASE_FONT_SIZE,
    BODY_SIZE,
    BOOK_OPTIONS,
    CELL_PAD,
    FONT,
    HALF,
    MAX_ROW_HEIGHT,
    MIN_CAP,
    PRINT_HEIGHT,
    PRINT_WIDTH,
    TEXT_INSET,
    TITLE_SIZE,
    column_points,
    display_width,
    pixels,
    print_setup,
    text_height,
)
from models import Round

NUMBER_CAP = MIN_CAP
GRADE_CAP = 8
ITEM_CAP = 30
PREVIOUS_SHARE = 0.45  # of the room left for the two comments, last year's
INPUT_LINES = 4  # an empty comment cell still has room for this many lines
PERSON_HEIGHT = 21.0
SPACER = 6.0
HEADER_AIR = 3.0
HEADER_FILL = "#D9E1F2"
SECTION_FILL = "#EDEDED"
INPUT_FILL = "#FFF2CC"
BORDER_COLOR = "#808080"
FILENAME_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class Form:
    """One department's form, ready to save or to put in a zip."""

    department_id: int
    department: str
    filename: str  # `照会様式_令和6年度_協働コミュニティ課.xlsx`, safe on Windows
    data: bytes
    slots: int
    pages: int  # printed A4 pages


@dataclass(frozen=True)
class _Row:
    """One line of the table: a section heading (`slot` None) or a slot."""

    height: float
    slot: SlotView | None = None
    section: str = ""


@dataclass
class _Page:
    """What every form of a round shares: its texts and columns."""

    t: Translator
    title: str
    deadline: str
    contact: str
    legend: str
    instructions: str
    headers: list[str]
    capacities: list[int]
    previous: bool
    scale: GradeScale
    rnd: Round

    @property
    def columns(self) -> int:
        return len(self.capacities)

    @property
    def grade_column(self) -> int:
        return self.columns - 2

    @property
    def comment_column(self) -> int:
        return self.columns - 1

    def span_capacity(self) -> int:
        """Half-width characters per line of a cell merged across every column."""
        return sum(self.capacities) + int((self.columns - 1) * TEXT_INSET // HALF)


def write_forms(
    session: Session,
    *,
    round_id: int,
    department_ids: Collection[int] | None = None,
    contact: str = "",
    language: str = "ja",
) -> list[Form]:
    """The forms of the round's departments (all, or those of `department_ids`), in the
    order people expect departments (50音 by reading, else plan order).

    `contact` is the office's contact line printed on top (HOKOKU_OFFICE_CONTACT): who to
    ask and where to send the form; empty leaves the line out. A fixed number of queries
    whatever the number of departments.
    """
    rnd = get_round(session, round_id=round_id)
    slots = round_slots(session, round_id=round_id)
    by_department: dict[int, list[SlotView]] = {}
    for slot in slots:
        if department_ids is None or slot.department_id in department_ids:
            by_department.setdefault(slot.department_id, []).append(slot)
    names = named_departments(session, set(by_department), plan_id=rnd.plan_id)
    last_year = previous_round(session, rnd=rnd)
    page = _page(
        translator(language),
        rnd=rnd,
        previous=last_year.fiscal_year if last_year is not None else None,
        contact=contact.strip(),
        slots=slots,
    )
    forms: list[Form] = []
    used: set[str] = set()
    for department_id in sorted(by_department, key=lambda d: names[d].sort_key):
        name = names[department_id].name
        data, pages = _write_one(page, department_id, name, by_department[department_id])
        filename = _filename(page, name, used)
        forms.append(
            Form(
                department_id=department_id,
                department=name,
                filename=filename,
                data=data,
                slots=len(by_department[department_id]),
                pages=pages,
            )
        )
    return forms


def zip_forms(forms: Sequence[Form]) -> bytes:
    """All forms in one zip (what the console offers for download); names are stored as
    UTF-8, which Windows' Explorer and every current unzip read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for form in forms:
            archive.writestr(form.filename, form.data)
    return buffer.getvalue()


def _filename(page: _Page, department: str, used: set[str]) -> str:
    stem = FILENAME_UNSAFE.sub(
        "_",
        page.t("inquiry.filename", year=FiscalYear(page.rnd.fiscal_year), department=department),
    ).strip(" .")[:120]
    candidate, n = stem, 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{stem}_{n}"
    used.add(candidate.casefold())
    return f"{candidate}.xlsx"


def _page(
    t: Translator, *, rnd: Round, previous: int | None, contact: str, slots: list[SlotView]
) -> _Page:
    scale = GradeScale.from_json(rnd.scale)
    year = FiscalYear(rnd.fiscal_year)
    mark = era_marker(rnd.fiscal_year)
    headers = [t("inquiry.header.number"), rnd.plan.item_label]
    if previous is not None:
        before = era_marker(previous)
        headers += [
            t("inquiry.header.grade", year=before),
            t("inquiry.header.comment", year=before),
        ]
    headers += [t("inquiry.header.grade", year=mark), t("inquiry.header.comment", year=mark)]
    legend = t("inquiry.legend") + "\u3000".join(
        f"{g.letter}：{g.label}" + (f"（{g.band}）" if g.band else "") if g.label else g.letter
        for g in scale.grades
    )
    page = _Page(
        t=t,
        title=t("inquiry.title", year=year, plan=rnd.plan.display_title),
        deadline=t("inquiry.deadline", deadline=rnd.deadline),
        contact=t("inquiry.contact", contact=contact) if contact else "",
        legend=legend,
        instructions=t("inquiry.instructions", grades=scale.hint(), deadline=rnd.deadline),
        headers=headers,
        capacities=[],
        previous=previous is not None,
        scale=scale,
        rnd=rnd,
    )
    page.capacities = _capacities(page, slots)
    return page


def _capacities(page: _Page, slots: list[SlotView]) -> list[int]:
    """Half-width characters per line of every column: number, item and grades as narrow as
    their texts allow, the two comments share the rest (this year's the larger part)."""
    columns = len(page.headers)
    room = int((PRINT_WIDTH - columns * TEXT_INSET) // HALF)
    letters = max(display_width(letter) for letter in page.scale.letters)
    grade = max(GRADE_CAP, letters)
    item = min(ITEM_CAP, max((display_width(s.item_display) for s in slots), default=MIN_CAP))
    item = max(item, MIN_CAP, display_width(page.headers[1]))
    fixed = [NUMBER_CAP, item]
    if page.previous:
        rest = room - sum(fixed) - 2 * grade
        before = int(rest * PREVIOUS_SHARE)
        return [*fixed, grade, before, grade, rest - before]
    return [*fixed, grade, room - sum(fixed) - grade]


def _formats(book: Workbook) -> dict[str, Format]:
    cell = {**FONT, "font_size": BODY_SIZE, "text_wrap": True, "valign": "vcenter"}
    boxed = {**cell, "border": 1, "border_color": BORDER_COLOR}
    opened = {**boxed, "locked": False, "bg_color": INPUT_FILL, "num_format": "@"}
    specs = {
        "title": {**FONT, "font_size": TITLE_SIZE, "bold": True, "valign": "vcenter"},
        "info": {**FONT, "font_size": BASE_FONT_SIZE, "bold": True, "valign": "vcenter"},
        "text": cell,
        "header": {**boxed, "bold": True, "align": "center", "bg_color": HEADER_FILL},
        "section": {**boxed, "bold": True, "bg_color": SECTION_FILL},
        "body": {**boxed, "valign": "top"},
        "center": {**boxed, "align": "center"},
        "label": {**boxed, "bold": True, "bg_color": HEADER_FILL},
        "input": opened,
        "input_grade": {**opened, "align": "center"},
        "input_comment": {**opened, "valign": "top"},
    }
    return {name: book.add_format(spec) for name, spec in specs.items()}


def _rows(page: _Page, slots: list[SlotView]) -> list[_Row]:
    """Section rows where the hierarchy changes, slot rows with their computed heights."""
    caps = page.capacities
    span = page.span_capacity()
    minimum = INPUT_LINES * BODY_SIZE + CELL_PAD
    rows: list[_Row] = []
    path: tuple[str, ...] | None = None
    for slot in slots:
        if slot.path and slot.path != path:
            section = " ＞ ".join(slot.path)
            rows.append(_Row(pixels(text_height(section, span)), section=section))
        path = slot.path
        texts = [(slot.item_display, caps[1])]
        if page.previous:
            texts += [(slot.previous_grade or "", caps[2]), (slot.previous_comment, caps[3])]
        height = max(minimum, *(text_height(text, cap) for text, cap in texts))
        rows.append(_Row(min(pixels(height), MAX_ROW_HEIGHT), slot=slot))
    return rows


def _breaks(rows: list[_Row], *, first_page: float, page_room: float) -> list[int]:
    """Indexes of the rows that start a new page: greedy, a section row never last."""
    breaks: list[int] = []
    room, used = first_page, 0.0
    for index, row in enumerate(rows):
        need = row.height
        if row.slot is None and index + 1 < len(rows):
            need += rows[index + 1].height  # keep a heading with its first item
        if used and used + need > room:
            breaks.append(index)
            room, used = page_room, 0.0
        used += row.height
    return breaks


def _write_one(
    page: _Page, department_id: int, department: str, slots: list[SlotView]
) -> tuple[bytes, int]:
    """The workbook of one department, and how many pages it prints on."""
    t = page.t
    last = page.columns - 1
    span = page.span_capacity()
    title_cap = int(span * HALF // (TITLE_SIZE / 2))
    top: list[tuple[str, str, float]] = [  # kind, text, height
        (
            "title",
            page.title,
            pixels(text_height(page.title, title_cap, size=TITLE_SIZE) + 2),
        ),
        (
            "info",
            t("inquiry.department", department=department) + "\u3000\u3000" + page.deadline,
            pixels(BASE_FONT_SIZE + CELL_PAD + 2),
        ),
    ]
    if page.contact:
        top.append(("text", page.contact, pixels(text_height(page.contact, span))))
    top += [
        ("text", page.instructions, pixels(text_height(page.instructions, span))),
        ("text", page.legend, pixels(text_height(page.legend, span))),
        ("person", t("inquiry.person"), PERSON_HEIGHT),
        ("person", t("inquiry.person_contact"), PERSON_HEIGHT),
        ("spacer", "", SPACER),
    ]
    header_height = pixels(
        max(text_height(h, c) for h, c in zip(page.headers, page.capacities, strict=True))
        + HEADER_AIR
    )
    rows = _rows(page, slots)
    top_height = sum(height for *_, height in top)
    breaks = _breaks(
        rows,
        first_page=PRINT_HEIGHT - top_height - header_height,
        page_room=PRINT_HEIGHT - header_height,
    )

    buffer = io.BytesIO()
    book = Workbook(buffer, {**BOOK_OPTIONS, "in_memory": True})
    formats = _formats(book)
    sheet_title = t("inquiry.sheet")
    ws = book.add_worksheet(sheet_title)
    for column, capacity in enumerate(page.capacities):
        ws.set_column_pixels(column, column, column_points(capacity) / 0.75)
    person_cells: list[str] = []
    for row, (kind, text, height) in enumerate(top):
        ws.set_row(row, height)
        if kind == "person":
            ws.merge_range(row, 0, row, 1, text, formats["label"])
            ws.merge_range(row, 2, row, last, "", formats["input"])
            person_cells.append(xl_rowcol_to_cell(row, 2))
        elif kind != "spacer":
            ws.merge_range(row, 0, row, last, text, formats[kind])
    header_row = len(top)
    ws.set_row(header_row, header_height)
    for column, text in enumerate(page.headers):
        ws.write_string(header_row, column, text, formats["header"])
    first = header_row + 1
    sealed: list[SealedSlot] = []
    for index, line in enumerate(rows):
        row = first + index
        ws.set_row(row, line.height)
        if line.slot is None:
            ws.merge_range(row, 0, row, last, line.section, formats["section"])
            continue
        slot = line.slot
        ws.write_number(row, 0, slot.item_number, formats["center"])
        ws.write_string(row, 1, slot.item_display, formats["body"])
        if page.previous:  # blank, not an empty text, where last year has no answer
            ws.write(row, 2, slot.previous_grade or None, formats["center"])
            ws.write(row, 3, slot.previous_comment or None, formats["body"])
        ws.write_blank(row, page.grade_column, None, formats["input_grade"])
        ws.write_blank(row, page.comment_column, None, formats["input_comment"])
        sealed.append(SealedSlot(slot.report_id, slot.item_number, row + 1))
    grade_cells = " ".join(xl_rowcol_to_cell(s.row - 1, page.grade_column) for s in sealed)
    if grade_cells:
        ws.data_validation(
            sealed[0].row - 1,
            page.grade_column,
            sealed[0].row - 1,
            page.grade_column,
            {
                "validate": "list",
                "source": page.scale.letters,
                "multi_range": grade_cells,
                "input_title": t("inquiry.validation.title"),
                "input_message": t("inquiry.validation.input", grades=page.scale.hint()),
                "error_title": t("inquiry.validation.title"),
                "error_message": t("inquiry.validation.error", grades=page.scale.hint()),
            },
        )
    ws.set_h_pagebreaks([first + index for index in breaks])
    ws.repeat_rows(header_row)
    ws.freeze_panes(first, 0)
    print_setup(ws)
    ws.protect("", {"format_rows": True})
    ws.activate()

    seal = Seal(
        round_id=page.rnd.id,
        fiscal_year=page.rnd.fiscal_year,
        plan=page.rnd.plan.name,
        department_id=department_id,
        department=department,
        sheet=sheet_title,
        number_column=xl_col_to_name(0),
        grade_column=xl_col_to_name(page.grade_column),
        comment_column=xl_col_to_name(page.comment_column),
        person_cell=person_cells[0],
        contact_cell=person_cells[1],
        slots=tuple(sealed),
    )
    hidden = book.add_worksheet(SEAL_SHEET)
    for row, cells in enumerate(seal.rows()):
        for column, text in enumerate(cells):
            if text:
                hidden.write_string(row, column, text)
    hidden.protect("")
    hidden.very_hidden()
    book.close()
    return buffer.getvalue(), len(breaks) + 1
