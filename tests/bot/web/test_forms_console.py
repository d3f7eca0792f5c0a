"""The 照会様式 from the console, over HTTP against the real `hokoku serve` app, on both
databases: the office downloads every department's form in one zip (the files `hokoku
round forms` writes), fills them as a person would, and uploads many at once; each file
says what became of it (stored, already stored, refused and why), answers are stored on
the excel channel as `round collect` stores them, and the upload is bounded and needs the
CSRF token. A department's member may do neither. In Chromium, the same through the
ダウンロード page's link and its multi-file input, checked with axe-core.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from handlers.organization.directory import find_department
from handlers.reporting.inquiry import write_forms
from models import AuditEntry, Report, ReportRevision
from models.db import transaction
from tests.bot.web.harness import OFFICE, WebServer, csrf_of
from tests.bot.web.test_office_year import Checks
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan, open_test_round

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(db: Db) -> int:
    with transaction(db.factory) as s:
        plan = build_plan(s, items=SMALL_PLAN)
        return open_test_round(s, plan, year=2024, deadline=date(2099, 5, 29)).id


def _filled(data: bytes, grade: str, comment: str) -> bytes:
    """The form with every slot answered in its open cells, saved as Excel would."""
    book = load_workbook(io.BytesIO(data))
    ws = book.active
    for row in ws.iter_rows():  # type: ignore[union-attr]
        opened = [c for c in row if not c.protection.locked and not isinstance(c, MergedCell)]
        if isinstance(row[0].value, int):
            opened[0].value, opened[1].value = grade, comment
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _results(html: str) -> dict[str, str]:
    """File name → what the page says of it."""
    rows = re.findall(r'<th scope="row">(.*?)</th>\s*<td>(.*?)</td>', html, re.S)
    return {
        unescape(name): " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())
        for name, text in rows
    }


def test_forms_zip_and_upload_in_the_console(db: Db, web: WebServer) -> None:
    round_id = _round(db)
    office = web.sign_in(web.link(OFFICE, office=True))
    page = office.get(f"/web/downloads?round={round_id}")
    assert page.status_code == 200
    assert 'name="forms"' in page.text and "multiple" in page.text
    csrf = csrf_of(page.text)

    # The zip holds the files `round forms` writes, one per department.
    got = office.get(f"/web/downloads/forms.zip?round={round_id}")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    names = sorted(archive.namelist())
    with transaction(db.factory) as s:
        expected = sorted(f.filename for f in write_forms(s, round_id=round_id))
    assert (
        names
        == expected
        == [
            "照会様式_令和6年度_女性センター.xlsx",
            "照会様式_令和6年度_秘書広報課.xlsx",
            "照会様式_令和6年度_職員課.xlsx",
        ]
    )
    forms = {name: archive.read(name) for name in names}

    # Many filled forms at once, with an .xlsm and a file that is no workbook.
    center, hisho, shokuin = names
    upload = [
        ("forms", (center, _filled(forms[center], "A", "講座を3回開いた"), XLSX)),
        ("forms", (hisho, _filled(forms[hisho], "B", "市報に掲載"), XLSX)),
        ("forms", ("マクロ付き.xlsm", forms[shokuin], XLSX)),
        ("forms", ("メモ.xlsx", "回答はAです".encode(), XLSX)),
    ]
    done = office.post(
        "/web/forms/collect", data={"csrf_token": csrf, "round": str(round_id)}, files=upload
    )
    assert done.status_code == 200, done.text
    said = _results(done.text)
    assert said[center] == (
        f"{center}: 女性センターの回答を取り込みました（新規 2件、更新 0件、変更なし 0件）"
    )
    assert said[hisho].startswith(f"{hisho}: 秘書広報課の回答を取り込みました（新規 1件")
    assert said["マクロ付き.xlsm"].startswith("マクロ付き.xlsm: 受け付けませんでした — ")
    assert said["メモ.xlsx"].startswith("メモ.xlsx: 受け付けませんでした — ")
    assert "4ファイル中 2ファイルを取り込み、回答 3件を保存しました。" in unescape(done.text)
    with transaction(db.factory) as s:
        assert set(s.scalars(select(ReportRevision.channel))) == {"excel"}
        assert s.scalar(select(func.count()).select_from(ReportRevision)) == 3
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "excel_answers")).all()
        assert {e.detail["file"] for e in audited} == {center, hisho}
        assert s.scalar(select(func.count()).where(Report.channel == "excel")) == 3

    # The same files again store nothing twice.
    again = office.post(
        "/web/forms/collect", data={"csrf_token": csrf, "round": str(round_id)}, files=upload[:2]
    )
    assert _results(again.text)[center] == (
        f"{center}: 女性センターの回答は取り込み済みです（新しい回答はありません）"
    )
    with transaction(db.factory) as s:
        assert s.scalar(select(func.count()).select_from(ReportRevision)) == 3

    # No file, no CSRF token, too large: refused with a message, nothing stored.
    empty = office.post("/web/forms/collect", data={"csrf_token": csrf}, files=[])
    assert empty.status_code == 400 and "照会様式のファイルを選んでください" in empty.text
    forged = office.post("/web/forms/collect", data={"round": str(round_id)}, files=upload[:1])
    assert forged.status_code == 403
    big = [("forms", ("大きい.xlsx", b"PK\x03\x04" + b"0" * (3 * 1024 * 1024), XLSX))]
    too_large = office.post("/web/forms/collect", data={"csrf_token": csrf}, files=big)
    assert too_large.status_code == 413

    # A department's member may neither download nor upload the forms.
    member = web.sign_in(web.link("職員課"))
    assert member.get(f"/web/downloads/forms.zip?round={round_id}").status_code == 403
    with transaction(db.factory) as s:
        own = find_department(s, organization_id=web.runtime.organization_id, name="職員課").id
    page = member.get(f"/web/departments/{own}")
    assert (
        member.post(
            "/web/forms/collect", data={"csrf_token": csrf_of(page.text)}, files=upload[:1]
        ).status_code
        == 403
    )


def test_forms_in_chromium(
    db: Db,
    web: WebServer,
    browser: Browser,
    browser_context_args: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The office downloads the zip from ダウンロード and uploads two filled forms at once
    through the multi-file input; both pages pass axe-core (no serious or critical issue)."""
    round_id = _round(db)
    checks = Checks()
    context = browser.new_context(**browser_context_args)
    office = context.new_page()
    office.goto(web.url + web.link(OFFICE, office=True).path)
    office.get_by_role("button", name="サインインする").click()
    office.goto(f"{web.url}/web/downloads?round={round_id}")
    checks.page(office, "forms-downloads")
    with office.expect_download() as download:
        office.get_by_role("link", name="全担当課の照会様式をダウンロード（zip）").click()
    assert download.value.suggested_filename == "照会様式_令和6年度.zip"
    archive = zipfile.ZipFile(download.value.path())
    picked = []
    for name, grade in (
        ("照会様式_令和6年度_女性センター.xlsx", "A"),
        ("照会様式_令和6年度_職員課.xlsx", "B"),
    ):
        path = tmp_path / name
        path.write_bytes(_filled(archive.read(name), grade, "実施した"))
        picked.append(path)
    office.get_by_label("記入済みの照会様式（.xlsx、複数選べます）").set_input_files(picked)
    office.get_by_role("button", name="取り込む").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("照会様式の取り込み結果")
    expect(office.get_by_role("status")).to_contain_text(
        "2ファイル中 2ファイルを取り込み、回答 3件"
    )
    expect(office.locator("tr", has_text="職員課.xlsx")).to_contain_text(
        "職員課の回答を取り込みました"
    )
    checks.page(office, "forms-collected")
    context.close()
    with transaction(db.factory) as s:
        assert s.scalar(select(func.count()).where(Report.channel == "excel")) == 3
