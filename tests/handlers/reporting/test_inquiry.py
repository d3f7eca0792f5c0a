"""The 照会様式 out and back on a small two-goal plan, on SQLite and PostgreSQL: what a form
carries and locks, what collecting stores, and every file it refuses with the reason.

Forms are filled the way a person would in Excel: only the unlocked (yellow) cells are
typed into, found on the visible sheet, never through the hidden sheet."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import msoffcrypto.format.ooxml
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml import DEFUSEDXML
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.i18n import translator
from handlers.organization.directory import find_department
from handlers.reporting.inquiry import CHANNEL, Form, collect_forms, write_forms
from handlers.reporting.inquiry.read import MAX_FORM_BYTES
from handlers.reporting.inquiry.seal import SEAL_SHEET, Seal, SealBroken, SealedSlot, read_seal
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import close_round
from models import Assignment, AuditEntry, Item, Report, ReportRevision, Round
from tests.factories import build_goals_plan, open_test_round
from tests.statements import counting

JA = translator("ja")
EN = translator("en")
CONTACT = "男女共同参画室 内線1234 danjo@city.example.lg.jp"
GOALS = [
    (
        "意識づくり",
        "理解の促進",
        [("周知", ["女性センター", "秘書広報課"]), ("講座", ["女性センター"])],
    ),
    ("働き方", "両立支援", [("研修", ["職員課", "女性センター"])]),
]


@dataclass
class Setup:
    round_id: int
    last_round_id: int
    departments: dict[str, int]


@pytest.fixture
def setup(session: Session) -> Setup:
    """Last year (FY2023) answered and closed, this year (FY2024) open."""
    plan = build_goals_plan(session, goals=GOALS)
    names = ("女性センター", "秘書広報課", "職員課")
    departments = {
        n: find_department(session, organization_id=plan.organization_id, name=n).id for n in names
    }
    last = open_test_round(session, plan, year=2023)
    for dept, number, grade in [
        ("女性センター", 1, "C"),
        ("秘書広報課", 1, "B"),
        ("女性センター", 2, "A"),
        ("職員課", 3, "B"),
    ]:
        submit_answer(
            session,
            round_id=last.id,
            department_id=departments[dept],
            item_number=number,
            grade=grade,
            comment=f"{dept}の前年度の取組",
            reporter="t",
            channel="slack",
        )
    close_round(session, rnd=session.get_one(Round, last.id))
    this = open_test_round(session, plan, year=2024, deadline=date(2025, 5, 30))
    return Setup(this.id, last.id, departments)


def _form(session: Session, setup: Setup, department: str, **kwargs: object) -> Form:
    forms = write_forms(
        session,
        round_id=kwargs.pop("round_id", setup.round_id),  # type: ignore[arg-type]
        department_ids={setup.departments[department]},
        contact=CONTACT,
    )
    assert [f.department for f in forms] == [department]
    return forms[0]


def _values(ws: Worksheet) -> list[list[object]]:
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    for row in rows:
        while row and row[-1] is None:
            row.pop()
    return rows


def _input_rows(ws: Worksheet) -> Iterator[tuple[int, list]]:  # type: ignore[type-arg]
    """(item number, its unlocked cells) of every answer line: what a person types into."""
    for row in ws.iter_rows():
        opened = [c for c in row if not c.protection.locked and not isinstance(c, MergedCell)]
        if isinstance(row[0].value, int):
            yield row[0].value, opened


def fill(
    data: bytes,
    answers: dict[int, tuple[str | None, str | None]],
    *,
    person: str = "山田花子",
) -> bytes:
    """Type grade and comment into the open cells of the items' lines, and who answered."""
    book = load_workbook(io.BytesIO(data))
    ws = book.active
    assert isinstance(ws, Worksheet)
    for number, opened in _input_rows(ws):
        if number in answers:
            grade_cell, comment_cell = opened  # the only open cells of the line
            grade_cell.value, comment_cell.value = answers[number]
    person_label = JA("inquiry.person")
    label = next(row for row in ws.iter_rows() if row[0].value == person_label)
    next(c for c in label if not c.protection.locked).value = person  # the merged input
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _revisions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReportRevision)) or 0


def _current(session: Session, round_id: int) -> dict[tuple[int, int], tuple[str | None, str, str]]:
    rows = session.execute(
        select(Assignment.department_id, Item.number, Report.grade, Report.comment, Report.channel)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Report.round_id == round_id)
    )
    return {(d, n): (g, c, ch) for d, n, g, c, ch in rows}


# --- out ----------------------------------------------------------------------------------


def test_a_form_carries_the_slots_last_year_and_open_input_cells(
    session: Session, setup: Setup
) -> None:
    form = _form(session, setup, "女性センター")
    assert form.filename == "照会様式_令和6年度_女性センター.xlsx"
    assert (form.slots, form.pages) == (3, 1)
    book = load_workbook(io.BytesIO(form.data))
    assert book.sheetnames == ["回答", SEAL_SHEET]
    assert book[SEAL_SHEET].sheet_state == "veryHidden"
    ws = book["回答"]
    rows = _values(ws)
    assert rows[0] == ["令和6年度 二層計画 達成状況の照会（回答様式）"]
    assert rows[1] == ["回答課：女性センター\u3000\u3000回答期限：2025年5月30日"]
    assert rows[2] == [f"照会元：{CONTACT}"]
    assert rows[3][0].startswith("黄色の欄に入力してください。達成度は欄のリスト（A／B／C／D）")
    assert rows[4] == [
        "【達成度の区分】A：計画以上（100%～）\u3000B：計画どおり（70～99%）"
        "\u3000C：計画以下（1～69%）\u3000D：未着手（0%）"
    ]
    assert rows[5][:1] == ["回答者（所属・氏名）"] and rows[6][:1] == ["連絡先（内線・メール）"]
    assert rows[8:] == [
        [
            "番号",
            "取組項目",
            "達成度\n（R5）",
            "取組計画と達成状況（R5）",
            "達成度\n（R6）",
            "取組計画と達成状況（R6）",
        ],
        ["I 意識づくり ＞ 1 理解の促進"],
        [1, "1 周知", "C", "女性センターの前年度の取組"],
        [2, "2 講座", "A", "女性センターの前年度の取組"],
        ["II 働き方 ＞ 2 両立支援"],
        [3, "3 研修"],  # no answer last year: blank
    ]
    # Only the answer cells and who answered are open; the sheet is protected, no password.
    opened = sorted(
        c.coordinate
        for row in ws.iter_rows()
        for c in row
        if not c.protection.locked and not isinstance(c, MergedCell)
    )
    assert opened == ["C6", "C7", "E11", "E12", "E14", "F11", "F12", "F14"]
    assert ws.protection.sheet and not ws.protection.password
    assert ws.protection.formatRows is False  # rows may be made taller for long comments
    (validation,) = ws.data_validations.dataValidation
    assert (validation.type, validation.formula1) == ("list", '"A,B,C,D"')
    assert str(validation.sqref) == "E11 E12 E14"
    assert ws["F11"].alignment.wrap_text
    # Printed like the handout: A4 landscape, the header row on every page.
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
    assert ws.print_title_rows == "$9:$9"
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage


def test_the_seal_names_round_department_slots_and_rows(session: Session, setup: Setup) -> None:
    form = _form(session, setup, "女性センター")
    book = load_workbook(io.BytesIO(form.data))
    seal = read_seal(book[SEAL_SHEET].iter_rows(values_only=True))
    reports = {
        number: report_id
        for report_id, number in session.execute(
            select(Report.id, Assignment.item_id)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .where(
                Report.round_id == setup.round_id,
                Assignment.department_id == setup.departments["女性センター"],
            )
        )
    }
    assert (seal.round_id, seal.fiscal_year, seal.department) == (
        setup.round_id,
        2024,
        "女性センター",
    )
    assert [(s.item_number, s.row) for s in seal.slots] == [(1, 11), (2, 12), (3, 14)]
    assert {s.report_id for s in seal.slots} == set(reports.values())
    assert (seal.grade_column, seal.comment_column, seal.person_cell) == ("E", "F", "C6")


def test_a_seal_refuses_any_change_and_reads_numbers_back_as_written() -> None:
    seal = Seal(
        round_id=2,
        fiscal_year=2024,
        plan="計画",
        department_id=7,
        department="女性センター",
        sheet="回答",
        number_column="A",
        grade_column="E",
        comment_column="F",
        person_cell="C6",
        contact_cell="C7",
        slots=(SealedSlot(10, 1, 11), SealedSlot(11, 2, 12)),
    )
    rows = seal.rows()
    assert read_seal(rows) == seal
    # A re-saved book may give numbers back as floats: still the same seal.
    assert read_seal([[float(v) if v.isdigit() else v for v in row] for row in rows]) == seal
    for index, column, value in [(5, 1, "8"), (14, 1, "12"), (15, 3, "13"), (7, 1, "Sheet1")]:
        changed = [list(row) for row in rows]
        changed[index][column] = value
        with pytest.raises(SealBroken) as refused:
            read_seal(changed)
        assert refused.value.reason == "altered"
    with pytest.raises(SealBroken) as missing:
        read_seal([["達成状況一覧"]])
    assert missing.value.reason == "missing"


def test_forms_of_every_department_in_a_fixed_number_of_statements(
    session: Session, setup: Setup
) -> None:
    with counting(session.connection()) as statements:
        forms = write_forms(session, round_id=setup.round_id)
    assert [f.department for f in forms] == ["女性センター", "秘書広報課", "職員課"]
    assert [f.slots for f in forms] == [3, 1, 1]
    assert len(statements) <= 8
    with counting(session.connection()) as one:
        write_forms(session, round_id=setup.round_id, department_ids={setup.departments["職員課"]})
    assert len(one) == len(statements)


def test_a_first_year_form_has_no_last_year_columns(session: Session, setup: Setup) -> None:
    forms = write_forms(session, round_id=setup.last_round_id, language="en")
    book = load_workbook(io.BytesIO(forms[0].data))
    ws = book["Answers"]
    header = next(r for r in _values(ws) if r and r[0] == "No.")
    assert header == ["No.", "取組項目", "Grade\n(R5)", "Plan and progress (R5)"]
    assert forms[0].filename == "inquiry_FY2023_女性センター.xlsx"


# --- back ---------------------------------------------------------------------------------


def test_collecting_stores_revisions_on_the_excel_channel_once(
    session: Session, setup: Setup
) -> None:
    center = setup.departments["女性センター"]
    data = fill(
        _form(session, setup, "女性センター").data,
        {1: ("b", "市報で周知した。\n2回目も実施。"), 2: ("Ａ", None), 3: (None, None)},
    )
    before = _revisions(session)
    result = collect_forms(
        session,
        round_id=setup.round_id,
        files=[("女性センター.xlsx", data)],
        collector="cli:test",
    )
    (outcome,) = result.files
    assert (outcome.refused, outcome.stored, outcome.department) == (False, 2, "女性センター")
    assert _revisions(session) == before + 2
    current = _current(session, setup.round_id)
    assert current[center, 1] == ("B", "市報で周知した。\n2回目も実施。", CHANNEL)
    assert current[center, 2] == ("A", "", CHANNEL)  # a grade alone keeps the comment
    assert current[center, 3] == (None, "", "")  # a blank line is not an answer
    reporters = session.scalars(
        select(ReportRevision.reporter).where(ReportRevision.channel == CHANNEL)
    ).all()
    assert set(reporters) == {"山田花子"}
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "excel_answers")).one()
    assert audit.actor == "cli:test"
    assert audit.detail["file"] == "女性センター.xlsx"
    assert audit.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert (audit.detail["department"], audit.detail["stored"]) == ("女性センター", 2)

    # The same file again: nothing stored twice, nothing audited twice.
    again = collect_forms(
        session, round_id=setup.round_id, files=[("コピー.xlsx", data)], collector="cli:test"
    )
    assert (again.files[0].duplicate, again.files[0].written) == (2, 0)
    assert _revisions(session) == before + 2
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2  # close + collect

    # A corrected file revises what changed and leaves the rest.
    corrected = fill(
        _form(session, setup, "女性センター").data,
        {1: ("B", "市報で周知した。\n2回目も実施。"), 2: ("C", "講座は1回だけ開催。")},
    )
    third = collect_forms(
        session, round_id=setup.round_id, files=[("修正.xlsx", corrected)], collector="web:1"
    )
    assert (third.files[0].unchanged, third.files[0].revised) == (1, 1)
    assert _current(session, setup.round_id)[center, 2] == ("C", "講座は1回だけ開催。", CHANNEL)


def test_a_file_with_a_wrong_cell_stores_nothing_and_names_every_cell(
    session: Session, setup: Setup
) -> None:
    data = fill(
        _form(session, setup, "女性センター").data,
        {1: ("B", "市報で周知"), 2: ("E", "講座"), 3: (None, "研修を実施した")},
    )
    before = _revisions(session)
    result = collect_forms(
        session, round_id=setup.round_id, files=[("f.xlsx", data)], collector="t"
    )
    (outcome,) = result.files
    assert outcome.refused and outcome.written == 0
    assert [JA.render(p) for p in outcome.problems] == [
        "回答!E12: 「E」は達成度にありません（A／B／C／D から選んでください）",
        "回答!E14: 達成度が空欄です（取組計画と達成状況だけでは回答になりません）",
    ]
    assert EN.render(outcome.problems[0]) == (
        "回答!E12: “E” is not a grade of this round (choose one of A／B／C／D)"
    )
    assert _revisions(session) == before  # item 1 was fine, and is not stored either


def test_one_refused_file_does_not_stop_the_others(session: Session, setup: Setup) -> None:
    good = fill(_form(session, setup, "職員課").data, {3: ("A", "研修を2回")})
    bad = fill(_form(session, setup, "秘書広報課").data, {1: ("Z", "")})
    result = collect_forms(
        session,
        round_id=setup.round_id,
        files=[("bad.xlsx", bad), ("good.xlsx", good)],
        collector="t",
    )
    assert [(f.name, f.refused, f.written) for f in result.files] == [
        ("bad.xlsx", True, 0),
        ("good.xlsx", False, 1),
    ]
    assert result.written == 1


def _refusal(session: Session, setup: Setup, name: str, data: bytes, **kwargs: int) -> str:
    before = _revisions(session)
    result = collect_forms(
        session, round_id=setup.round_id, files=[(name, data)], collector="t", **kwargs
    )
    (outcome,) = result.files
    assert outcome.refused and _revisions(session) == before
    return "\n".join(JA.render(p) for p in outcome.problems)


def test_another_round_another_department_and_an_outdated_form_are_refused_by_name(
    session: Session, setup: Setup
) -> None:
    last_year = _form(session, setup, "女性センター", round_id=setup.last_round_id)
    assert _refusal(session, setup, "old.xlsx", fill(last_year.data, {1: ("A", "")})) == (
        f"令和5年度（回 {setup.last_round_id}）の照会様式です。いま受け付けているのは"
        f"令和6年度（回 {setup.round_id}）の回答です。令和6年度の照会様式に入力して"
        "返送してもらってください。"
    )
    staff = fill(_form(session, setup, "職員課").data, {3: ("A", "")})
    assert (
        _refusal(session, setup, "s.xlsx", staff, department_id=setup.departments["秘書広報課"])
        == "職員課の照会様式です（秘書広報課の様式ではありません）。"
    )
    # The plan changed after the forms went out: 職員課 no longer answers item 3.
    form = _form(session, setup, "職員課")
    session.execute(
        Report.__table__.delete().where(
            Report.assignment_id.in_(
                select(Assignment.id).where(Assignment.department_id == setup.departments["職員課"])
            )
        )
    )
    assert _refusal(session, setup, "s.xlsx", fill(form.data, {3: ("A", "")})) == (
        "照会様式を作った後に計画が変わりました（項目3は職員課の回答欄ではなくなりました）。"
        "hokoku round forms で作り直した照会様式に入力し直してもらってください。"
    )


def _edit(data: bytes, change: object) -> bytes:
    book = load_workbook(io.BytesIO(data))
    change(book)  # type: ignore[operator]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_altered_form_is_refused(session: Session, setup: Setup) -> None:
    data = fill(_form(session, setup, "秘書広報課").data, {1: ("A", "市報で周知")})
    center = str(setup.departments["女性センター"])

    def other_department(book: Workbook) -> None:  # someone passes it off as another's
        seal = book[SEAL_SHEET]
        seal.sheet_state = "visible"
        cell = next(r[1] for r in seal.iter_rows() if r[0].value == "department")
        cell.value = center

    altered = "照会様式の隠しシートが変更されています（チェックサムが合いません）。"
    assert _refusal(session, setup, "x.xlsx", _edit(data, other_department)).startswith(altered)

    def sorted_rows(book: Workbook) -> None:  # unprotected and the lines moved down
        ws = book["回答"]
        ws.protection.sheet = False
        ws.insert_rows(10)

    assert _refusal(session, setup, "y.xlsx", _edit(data, sorted_rows)).startswith(
        "回答欄の行が変更されています（回答!A11 は項目1の行のはずです）。"
    )

    def seal_removed(book: Workbook) -> None:
        del book[SEAL_SHEET]

    assert _refusal(session, setup, "z.xlsx", _edit(data, seal_removed)).startswith(
        "hokoku の照会様式ではありません"
    )


def _encrypted(data: bytes) -> bytes:
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(data)).encrypt("secret", out)
    return out.getvalue()


def _with_macros(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a project")
    return out.getvalue()


def _entities(data: bytes) -> bytes:
    """The form with an XML entity declared in its workbook part (a 'billion laughs' needs
    one): openpyxl reads it through defusedxml, which refuses it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            part = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                declaration, rest = part.split(b"?>", 1) if b"?>" in part else (b"", part)
                doctype = b'<!DOCTYPE x [<!ENTITY lol "lol">]>'
                part = (declaration + b"?>" if declaration else b"") + doctype + rest
            dst.writestr(item, part)
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        dst.writestr("xl/workbook.xml", b"<workbook/>")
        dst.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_FORM_BYTES * 8))
    return out.getvalue()


def _not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        dst.writestr("word/document.xml", b"<document/>")
    return out.getvalue()


def _handout() -> bytes:
    book = Workbook()
    book.active.append(["達成状況一覧"])  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_files_that_are_not_a_readable_form_are_refused_politely(
    session: Session, setup: Setup
) -> None:
    data = fill(_form(session, setup, "秘書広報課").data, {1: ("A", "市報で周知")})
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    cases = {
        "暗号化.xlsx": (_encrypted(data), "パスワードで保護（暗号化）されたファイルは読めません"),
        "マクロ.xlsm": (data, "マクロ付きのブック（.xlsm）は受け付けません"),
        "隠れマクロ.xlsx": (_with_macros(data), "マクロ付きのブック（.xlsm）は受け付けません"),
        "古い.xls": (ole, "古い形式（.xls）のファイルは読めません"),
        "文書.xlsx": (_not_a_workbook(), "Excel のブック（.xlsx）ではありません"),
        "画像.xlsx": (b"\x89PNG\r\n\x1a\n", "Excel のブック（.xlsx）ではありません"),
        "大きい.xlsx": (data + b"\0" * MAX_FORM_BYTES, "ファイルが大きすぎます"),
        "爆弾.xlsx": (_bomb(), "ファイルが大きすぎます"),
        "壊れた.xlsx": (data[: len(data) // 2], "Excel のブック（.xlsx）ではありません"),
        "一覧.xlsx": (_handout(), "hokoku の照会様式ではありません"),
        "実体.xlsx": (_entities(data), "ブックを読み取れません"),
    }
    assert DEFUSEDXML
    for name, (content, reason) in cases.items():
        assert _refusal(session, setup, name, content).startswith(reason), name
    # The decrypted file is the same form and is taken.
    assert not collect_forms(
        session, round_id=setup.round_id, files=[("ok.xlsx", data)], collector="t"
    ).refused


def test_a_closed_round_takes_no_forms(session: Session, setup: Setup) -> None:
    data = fill(_form(session, setup, "職員課").data, {3: ("A", "研修")})
    close_round(session, rnd=session.get_one(Round, setup.round_id))
    assert _refusal(session, setup, "late.xlsx", data) == (
        "令和6年度の報告は締め切られました。修正は事務局へ連絡してください。"
    )
