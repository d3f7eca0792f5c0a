"""The office's year in a real browser (Debian's chromium through Playwright), on SQLite and
PostgreSQL, against the real `hokoku serve` app with no chat platform:

1. the office signs in with the link `hokoku web link --office` prints;
2. uploads the Nishitokyo plan, sees the preview, confirms it;
3. opens a round;
4. a department answers in its own browser while the office's dashboard, left open,
   redraws itself without a reload;
5. the office enters an answer by proxy (audited);
6. reminds now, twice: the second time sends nothing;
7. closes the round; the department's stale form is refused with the chat's message;
8. downloads the handout and compares it cell by cell with `hokoku export`.

Every page it passes is checked with axe-core (no serious or critical violation). With
HOKOKU_WEB_SCREENSHOTS=DIR it also leaves 1366×768 screenshots and the axe results there.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from handlers.organization.directory import find_department, get_or_create_department
from handlers.organization.identities import link_identity
from handlers.reporting.reports import department_slots
from models import AuditEntry, Notification, Plan, ReportRevision, Round
from models.db import transaction
from tests.bot.cli_helpers import make_invoke
from tests.bot.web.harness import OFFICE, WebServer
from tests.conftest import Db

MEMBER = "秘書広報課"
PROXIED = "健康課"
REMINDED = ("健康課", "子育て支援課")
AXE = Axe()
SERIOUS = ("serious", "critical")


class Checks:
    """axe-core on every page visited; screenshots when HOKOKU_WEB_SCREENSHOTS is set."""

    def __init__(self) -> None:
        folder = os.environ.get("HOKOKU_WEB_SCREENSHOTS")
        self.folder = Path(folder) if folder else None
        self.results: dict[str, list[dict[str, Any]]] = {}

    def page(self, page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        violations = AXE.run(page).response["violations"]
        self.results[name] = [
            {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in violations
        ]
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=self.folder / f"{name}.png")
        bad = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in violations
            if v["impact"] in SERIOUS
        ]
        assert not bad, (name, bad)

    def save(self) -> None:
        if self.folder is not None:
            text = json.dumps(self.results, ensure_ascii=False, indent=1)
            (self.folder / "axe.json").write_text(text, encoding="utf-8")


def cells(path: Path) -> dict[str, list[list[object]]]:
    book = load_workbook(path)
    return {
        sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()]
        for sheet in book.worksheets
    }


def slots_of(db: Db, web: WebServer, round_id: int, name: str) -> list[int]:
    with transaction(db.factory) as session:
        department = find_department(
            session, organization_id=web.runtime.organization_id, name=name
        )
        return [
            s.item_number
            for s in department_slots(session, round_id=round_id, department_id=department.id)
        ]


def test_the_office_year_in_a_browser(
    db: Db,
    web: WebServer,
    browser: Browser,
    browser_context_args: dict[str, Any],
    samples_dir: Path,
    tmp_path: Path,
) -> None:
    checks = Checks()
    invoke = make_invoke(db, HOKOKU_PUBLIC_URL=web.url)
    with transaction(db.factory) as session:
        get_or_create_department(session, organization_id=web.runtime.organization_id, name=OFFICE)

    # 1. The office signs in with the link the CLI prints.
    printed = invoke("web", "link", "--dept", OFFICE, "--office", "--name", "事務局 佐藤", "--json")
    assert printed.exit_code == 0, printed.output
    office_context = browser.new_context(**browser_context_args)
    office = office_context.new_page()
    office.goto(json.loads(printed.output)["url"])
    checks.page(office, "01-signin")
    office.get_by_role("button", name="サインインする").click()
    expect(office).to_have_url(f"{web.url}/web/")
    expect(office.get_by_role("link", name="計画の表を取り込む")).to_be_visible()
    checks.page(office, "02-empty")

    # 2. Upload the Nishitokyo plan, preview it, confirm it.
    office.get_by_role("navigation").get_by_role("link", name="計画").click()
    office.get_by_label("計画の表のファイル").set_input_files(samples_dir / "nishitokyo_plan.csv")
    office.get_by_role("button", name="内容を確認する").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("取り込む内容の確認")
    expect(office.get_by_text("新しい計画「nishitokyo_plan」を作ります。")).to_be_visible()
    expect(office.get_by_text("取組項目 111件・担当課 35課").first).to_be_visible()
    checks.page(office, "03-plan-preview")
    with transaction(db.factory) as session:  # nothing stored before confirming
        assert session.scalar(select(func.count()).select_from(Plan)) == 0
    office.get_by_role("button", name="この内容で取り込む").click()
    expect(office.get_by_role("status")).to_contain_text("新しい計画「nishitokyo_plan」を作ります")
    checks.page(office, "04-plans")

    # 3. Open a round.
    office.get_by_role("navigation").get_by_role("link", name="報告の回").click()
    deadline = web.runtime.today() + timedelta(days=30)
    office.get_by_label("報告する年度（西暦）").fill("2024")
    office.get_by_label("締切日").fill(deadline.isoformat())
    office.get_by_role("button", name="回を開く").click()
    expect(office.get_by_role("status")).to_contain_text("報告枠 206件")
    checks.page(office, "05-rounds")
    with transaction(db.factory) as session:
        round_id = session.scalars(select(Round.id)).one()

    # 4. The department answers in its own browser; the dashboard follows without a reload.
    dashboard = office_context.new_page()
    dashboard.goto(f"{web.url}/web/")
    answered = dashboard.locator(".card-value").first
    expect(answered).to_have_text("0 / 206")
    checks.page(dashboard, "06-dashboard")
    dashboard.evaluate("window.notReloaded = true")
    member_link = invoke("web", "link", "--dept", MEMBER, "--json")
    member_context = browser.new_context(**browser_context_args)
    member = member_context.new_page()
    member.goto(json.loads(member_link.output)["url"])
    member.get_by_role("button", name="サインインする").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(MEMBER)
    checks.page(member, "07-member")
    own = slots_of(db, web, round_id, MEMBER)
    assert own
    for n in own:
        member.locator(f"#grade-{n}").select_option("B")
        member.locator(f"#comment-{n}").fill(f"項目{n}: 市報で周知した。")
    member.get_by_role("button", name="保存する").click()
    expect(member.get_by_role("status")).to_contain_text(f"{len(own)}件")
    expect(answered).to_have_text(f"{len(own)} / 206", timeout=30_000)
    assert dashboard.evaluate("window.notReloaded === true")
    with transaction(db.factory) as session:
        channels = set(session.scalars(select(ReportRevision.channel)))
    assert channels == {"web"}

    # 5. The office answers for another department (a proxy answer, audited).
    with transaction(db.factory) as session:
        proxied = find_department(
            session, organization_id=web.runtime.organization_id, name=PROXIED
        ).id
    office.goto(f"{web.url}/web/departments/{proxied}")
    expect(office.get_by_text("代理入力として監査ログに記録されます")).to_be_visible()
    checks.page(office, "08-department-proxy")
    first = slots_of(db, web, round_id, PROXIED)[0]
    office.locator(f"#grade-{first}").select_option("C")
    office.locator(f"#comment-{first}").fill("紙の回答票から事務局が入力")
    office.get_by_role("button", name="保存する").click()
    expect(office.get_by_role("status")).to_contain_text("1件")
    with transaction(db.factory) as session:
        proxy = session.scalars(select(AuditEntry).where(AuditEntry.action == "proxy_answer")).one()
    assert proxy.detail["department"] == PROXIED and proxy.actor == "web:事務局 佐藤"

    # 6. Remind now, twice: nothing is sent twice.
    with transaction(db.factory) as session:
        for name in REMINDED:
            department = find_department(
                session, organization_id=web.runtime.organization_id, name=name
            )
            link_identity(
                session, department=department, platform="console", external_id=f"c-{name}"
            )
    office.get_by_role("navigation").get_by_role("link", name="リマインド").click()
    checks.page(office, "09-remind")
    office.get_by_role("button", name="リマインドを送る").first.click()
    expect(office.get_by_role("status")).to_contain_text("リマインドを 2件 送信待ちにしました")
    office.get_by_role("button", name="リマインドを送る").first.click()
    expect(office.get_by_role("status")).to_contain_text("すでに送ってある宛先が 2件")
    with transaction(db.factory) as session:
        sent = session.execute(select(Notification.key, Notification.status)).all()
    assert len(sent) == 2 and {status for _, status in sent} == {"sent"}

    # 7. Close; the department's form, still open, is refused with the chat's message.
    member.reload()
    office.get_by_role("navigation").get_by_role("link", name="報告の回").click()
    office.get_by_role("button", name="受付を終了").click()
    expect(office.get_by_role("status")).to_contain_text("受付を終了しました")
    member.locator(f"#comment-{own[0]}").fill("締切後の修正")
    member.get_by_role("button", name="保存する").click()
    expect(member.get_by_role("alert")).to_contain_text(
        "令和6年度の報告は締め切られました。修正は事務局へ連絡してください。"
    )
    checks.page(member, "10-member-closed")
    with transaction(db.factory) as session:
        late = session.scalar(select(func.count()).where(ReportRevision.comment == "締切後の修正"))
    assert late == 0

    # 8. The handout, downloaded, is the one `hokoku export` writes, cell by cell.
    office.get_by_role("navigation").get_by_role("link", name="ダウンロード").click()
    checks.page(office, "11-downloads")
    with office.expect_download() as download:
        office.get_by_role("button", name="XLSX をダウンロード").click()
    downloaded = tmp_path / "web.xlsx"
    download.value.save_as(downloaded)
    exported = tmp_path / "cli.xlsx"
    result = invoke("export", "-o", str(exported))
    assert result.exit_code == 0, result.output
    web_cells, cli_cells = cells(downloaded), cells(exported)
    assert list(web_cells) == list(cli_cells)
    assert web_cells == cli_cells
    assert any(
        f"項目{own[0]}: 市報で周知した。" in str(v)
        for row in web_cells[next(iter(web_cells))]
        for v in row
    )

    # Every other page of the office, and the member refused an office page.
    for name, path in (
        ("12-departments", "/web/departments"),
        ("13-audit", "/web/audit?action=proxy_answer"),
        ("14-settings", "/web/settings"),
        ("15-dashboard-closed", "/web/"),
    ):
        office.goto(web.url + path)
        checks.page(office, name)
    member.goto(f"{web.url}/web/plans")
    expect(member.get_by_role("alert")).to_contain_text("事務局だけが使えます")
    checks.page(member, "16-forbidden")
    member.get_by_role("button", name="サインアウト").click()
    expect(member.get_by_role("status")).to_have_text("サインアウトしました。")
    checks.page(member, "17-signed-out")
    checks.save()
    office_context.close()
    member_context.close()
