"""A department with only an e-mail address answers through the personal link in its mail.

The whole way, on SQLite and PostgreSQL, with every part real but the mail server (aiosmtpd
on 127.0.0.1) and the clock of the scheduler's ticks (simulated days of a round a few
weeks ahead, so the links it mints are valid in real time):

1. a round opens; 人権課 and 子育て支援課 have only e-mail addresses and get the request,
   each with its own answer link; 秘書広報課 answered on paper (the office's proxy entry);
2. 人権課's link from the mail is opened in Chromium: the page says whose answer page it
   is, shows last year's answers, and the department answers; it comes back later with
   the same link (a second browser) and revises;
3. the reminders go only to 子育て支援課, still missing, each with a link; chasing after
   the deadline, likewise;
4. status (the CLI, the console's department list) shows the answers by channel: メール
   のリンク, 代理入力.

Then the link's edges over HTTP: resent after a crash it is the same URL; it expires; it
is revoked per department and for all; after the round closes it is refused with the
chat's message, in the reader's language.
"""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect
from sqlalchemy import select, update

from bot.mail.messenger import answer_link_for, link_expiry
from bot.messengers import build_messengers, calendar_from_settings
from bot.settings import Settings
from handlers.organization.directory import find_department, get_or_create_department
from handlers.organization.mail_addresses import add_addresses, parse_addresses
from handlers.organization.web_access import digest
from handlers.ports import RoundRequest, Target
from handlers.reporting.reports import submit_answer
from handlers.reporting.rounds import close_round, open_round
from models import AuditEntry, Report, ReportRevision, Round, WebLink, WebSession, utcnow
from models.db import transaction
from scheduler.calendar import BusinessCalendar
from scheduler.runner import tick
from tests.bot.cli_helpers import flat, make_invoke
from tests.bot.web.harness import OFFICE, WebServer, csrf_of
from tests.bot.web.test_office_year import Checks
from tests.conftest import Db
from tests.factories import build_plan
from tests.fakes.smtp_server import FakeSmtp, Received, running_smtp
from tests.scheduler.doubles import jst

CAL = BusinessCalendar()
JINKEN, KOSODATE, HISHO = "人権課", "子育て支援課", "秘書広報課"
JINKEN_BOX, KOSODATE_BOX = "jinken@city.example.lg.jp", "kosodate@city.example.lg.jp"
ALEX = "alex@city.example.lg.jp"  # reads English
LINK = re.compile(r"(http://127\.0\.0\.1:\d+)(/web/signin/[A-Za-z0-9_-]{43})")


@dataclass
class MailRound:
    round_id: int
    year: int
    opens_on: date
    deadline: date
    departments: dict[str, int]


def mail_round(db: Db, web: WebServer) -> MailRound:
    """Last year's round (answered, closed) and this year's, opening a few weeks ahead."""
    opens_on = CAL.next_business_day(CAL.local_date(utcnow()) + timedelta(days=21))
    deadline = CAL.business_days_after(opens_on, 10)
    year = opens_on.year if opens_on.month >= 4 else opens_on.year - 1
    with transaction(db.factory) as s:
        plan = build_plan(
            s,
            items=[
                ("人権啓発講座", [JINKEN]),
                ("相談窓口の周知", [JINKEN, KOSODATE]),
                ("子育て支援", [KOSODATE]),
                ("市報での広報", [HISHO]),
            ],
            organization=web.runtime.settings.organization,
        )
        last = open_round(
            s,
            plan=plan,
            fiscal_year=year - 2,
            deadline=opens_on - timedelta(days=300),
            opens_on=opens_on - timedelta(days=320),
        )
        org = plan.organization_id
        ids = {
            name: find_department(s, organization_id=org, name=name).id
            for name in (JINKEN, KOSODATE, HISHO)
        }
        submit_answer(
            s,
            round_id=last.id,
            department_id=ids[JINKEN],
            item_number=1,
            grade="C",
            comment="昨年度は講座を1回開いた",
            reporter="test",
            channel="import",
        )
        close_round(s, rnd=s.get_one(Round, last.id), actor="test")
        info = open_round(s, plan=plan, fiscal_year=year - 1, deadline=deadline, opens_on=opens_on)
        get_or_create_department(s, organization_id=org, name=OFFICE)
        for name, address, language in (
            (JINKEN, JINKEN_BOX, None),
            (JINKEN, ALEX, "en"),
            (KOSODATE, KOSODATE_BOX, None),
        ):
            add_addresses(
                s,
                department=find_department(s, organization_id=org, name=name),
                addresses=parse_addresses([address]),
                actor="test",
                language=language,
            )
    return MailRound(info.id, year - 1, opens_on, deadline, ids)


def mail_settings(web: WebServer, smtp: FakeSmtp, **changes: Any) -> Settings:
    """What `hokoku serve` runs the scheduler with: the console's URL and secret, the mail."""
    values: dict[str, Any] = {
        "database_url": web.db.url,
        "public_url": web.url,
        "secret_key": web.runtime.settings.secret_key,
        "smtp_url": smtp.url,
        "mail_from": "男女平等推進センター <danjo-noreply@city.example.lg.jp>",
        "mail_rate": 0,
        **changes,
    }
    return Settings(**values)


def run_tick(db: Db, messengers: dict[str, Any], day: date) -> None:
    """One scheduler tick at 10:00 of `day`, in a thread of its own: it runs an asyncio loop,
    and Playwright's sync API keeps one running in this thread while the browser lives."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(tick, db.factory, messengers, jst(day), calendar=CAL).result()


def link_in(mail: Received) -> str:
    """The answer link of a mail: in the text part, and the same one behind the HTML button."""
    found = LINK.search(mail.part("plain"))
    assert found is not None, mail.part("plain")
    assert f'href="{found.group(0)}"' in mail.part("html")
    return found.group(0)


def revisions(db: Db, department_id: int) -> list[ReportRevision]:
    with transaction(db.factory) as s:
        from models import Assignment

        rows = s.scalars(
            select(ReportRevision)
            .join(Report, Report.id == ReportRevision.report_id)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .where(Assignment.department_id == department_id)
            .order_by(ReportRevision.id)
        ).all()
        s.expunge_all()
        return list(rows)


def test_a_department_with_only_e_mail_answers_by_the_link_in_its_mail(
    db: Db, web: WebServer, browser: Browser, browser_context_args: dict[str, Any]
) -> None:
    sc = mail_round(db, web)
    invoke = make_invoke(db)
    with running_smtp() as smtp:
        messengers = build_messengers(mail_settings(web, smtp), factory=db.factory)

        # 1. The round opens: a request with a personal link to each address.
        run_tick(db, messengers, sc.opens_on)
        [request] = smtp.to(JINKEN_BOX)
        url = link_in(request)
        assert url.startswith(web.url + "/web/signin/")
        last_day, _ = link_expiry(_round(db, sc), CAL)
        assert last_day > sc.deadline
        text = request.part("plain")
        assert f"{last_day.year}年{last_day.month}月{last_day.day}日まで有効" in text
        assert "このメールに返信して" not in text  # the link, not a reply, is how to answer
        [english] = smtp.to(ALEX)
        assert link_in(english) != url  # each reader's own link
        assert "(valid until" in english.part("plain")
        [kosodate_request] = smtp.to(KOSODATE_BOX)
        link_in(kosodate_request)
        # The office sees who has opened the link it was sent: nobody yet.
        sent = json.loads(invoke("web", "links", "--json").output)
        assert [(x["department"], x["address"], x["sent"], x["opened_at"]) for x in sent] == [
            (JINKEN, ALEX, 1, None),
            (JINKEN, JINKEN_BOX, 1, None),
            (KOSODATE, KOSODATE_BOX, 1, None),
        ]
        # 秘書広報課 sent its answer on paper: the office enters it (a proxy answer).
        entered = invoke(
            "report", "set", "--dept", HISHO, "--item", "4", "--grade", "B", "--comment", "紙で回答"
        )
        assert entered.exit_code == 0, entered.output

        # 2. 人権課 opens the link from the mail in Chromium and answers.
        first_visit = browser.new_context(**browser_context_args)
        page = first_visit.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{JINKEN}の回答ページ")
        expect(page.get_by_text(f"{last_day.month}月{last_day.day}日まで何度でも")).to_be_visible()
        checks = Checks()  # axe-core: no serious or critical violation
        checks.page(page, "answer-link-signin")
        page.get_by_role("button", name="回答ページを開く").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(JINKEN)
        slot_1 = page.locator("#slot-1")
        expect(slot_1).to_contain_text("昨年度は講座を1回開いた")  # last year's answer
        checks.page(page, "answer-page")
        page.locator("#grade-1").select_option("B")
        page.locator("#comment-1").fill("講座を2回開き、のべ80人が参加した。")
        page.locator("#grade-2").select_option("C")
        page.locator("#comment-2").fill("ポスターを作成中。")
        page.get_by_role("button", name="保存する").click()
        expect(page.get_by_role("status")).to_contain_text("2件")
        first_visit.close()

        # … and comes back another day with the same link (a new browser), and revises.
        second_visit = browser.new_context(**browser_context_args)
        page = second_visit.new_page()
        page.goto(url)
        page.get_by_role("button", name="回答ページを開く").click()
        expect(page.locator("#comment-2")).to_have_value("ポスターを作成中。")  # what it saved
        page.locator("#grade-2").select_option("B")
        page.locator("#comment-2").fill("ポスターを全庁に掲示した。")
        page.get_by_role("button", name="保存する").click()
        expect(page.get_by_role("status")).to_contain_text("修正（第2版）")
        page.locator("#slot-2 summary").click()
        expect(page.locator("#slot-2 .history")).to_contain_text("メールのリンク")
        second_visit.close()

        stored = revisions(db, sc.departments[JINKEN])
        assert [(r.grade, r.revision) for r in stored if r.reporter == JINKEN_BOX] == [
            ("B", 1),
            ("C", 1),
            ("B", 2),
        ]
        assert {r.channel for r in stored if r.reporter == JINKEN_BOX} == {"email"}
        assert all(
            r.source_key and r.source_key.startswith("email:form:")
            for r in stored
            if r.reporter == JINKEN_BOX
        )
        assert not any(r.proxy for r in stored if r.reporter == JINKEN_BOX)
        with transaction(db.factory) as s:
            signins = s.scalars(select(AuditEntry).where(AuditEntry.action == "web_signin")).all()
            assert [e.detail["department"] for e in signins] == [JINKEN, JINKEN]
            assert len({e.detail["link"] for e in signins}) == 1  # one link, two visits

        opened = {
            x["address"]: x["opened_at"]
            for x in json.loads(invoke("web", "links", "--json").output)
        }
        assert opened[JINKEN_BOX] is not None and opened[ALEX] is opened[KOSODATE_BOX] is None

        # 3. Reminders and chasing go only to 子育て支援課, still missing, each with a link.
        day = sc.opens_on + timedelta(days=1)
        horizon = last_day + timedelta(days=3)
        while day <= horizon:
            run_tick(db, messengers, day)
            day += timedelta(days=1)
        assert len(smtp.to(JINKEN_BOX)) == len(smtp.to(ALEX)) == 1  # answered: nothing more
        to_kosodate = smtp.to(KOSODATE_BOX)
        subjects = [m.subject for m in to_kosodate]
        reminders = [s for s in subjects if "リマインド" in s]
        chases = [s for s in subjects if "期限を過ぎています" in s]
        assert subjects[0].endswith("報告のお願い（子育て支援課）")
        assert reminders and chases and len(subjects) == 1 + len(reminders) + len(chases)
        links = [link_in(m) for m in to_kosodate]
        assert len(set(links)) == len(links)  # a link per mail (per purpose key)
        with httpx.Client(base_url=web.url) as http:  # the last chase's link still opens
            assert _open(http, links[-1]).status_code == 303

        # 4. Status shows who answered how.
        status = invoke("status", "--json")
        assert status.exit_code == 0, status.output
        summary = json.loads(status.output)
        by_department = {d["name"]: d["channels"] for d in summary["departments"]}
        assert by_department[JINKEN] == {"email": 2}
        assert by_department[HISHO] == {"office": 1}
        assert by_department[KOSODATE] == {}
        printed = flat(invoke("status").output)
        assert "回答方法: メールのリンク 2、代理入力 1" in printed
        # 子育て支援課 opened its last chase's link; the English reader of 人権課 never did.
        unopened = json.loads(invoke("web", "links", "--unopened", "--json").output)
        assert [(x["department"], x["address"]) for x in unopened] == [(JINKEN, ALEX)]
        kosodate = json.loads(invoke("web", "links", "--json").output)[-1]
        assert kosodate["sent"] == len(links) and kosodate["opened_at"] is not None
        table = invoke("web", "links", "--unopened").output
        assert ALEX in table and "未開封" in table and KOSODATE_BOX not in table

        # The export's まとめ sheet says it beside each department.
        http = web.sign_in(web.link(OFFICE, office=True))
        handout = http.get(f"/web/downloads/handout.xlsx?round={sc.round_id}")
        http.close()
        assert handout.status_code == 200
        rows = [
            [cell for cell in row if cell is not None]
            for sheet in load_workbook(io.BytesIO(handout.content)).worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
        assert [JINKEN, 2, 0, 2, "100%", "メールのリンク 2"] in rows
        assert [HISHO, 1, 0, 1, "100%", "代理入力 1"] in rows

        office = browser.new_context(**browser_context_args)
        page = office.new_page()
        page.goto(web.url + web.link(OFFICE, office=True).path)
        page.get_by_role("button", name="サインインする").click()
        page.goto(f"{web.url}/web/departments")
        expect(page.locator("tr", has_text=JINKEN)).to_contain_text("メールのリンク 2")
        expect(page.locator("tr", has_text=HISHO)).to_contain_text("代理入力 1")
        expect(page.locator("tr", has_text=JINKEN)).to_contain_text("1/2件の宛先が開いた")
        expect(page.locator("tr", has_text=KOSODATE)).to_contain_text("1/1件の宛先が開いた")
        expect(page.locator("tr", has_text=HISHO)).to_contain_text("送っていない")
        office.close()


def _round(db: Db, sc: MailRound) -> Round:
    with transaction(db.factory) as s:
        rnd = s.get_one(Round, sc.round_id)
        s.expunge(rnd)
        return rnd


def _open(http: httpx.Client, url: str) -> httpx.Response:
    """Open a link and press its button, as a browser does (the client keeps the cookie)."""
    page = http.get(url[url.index("/web/signin/") :])
    assert page.status_code == 200, page.text
    token = url.rsplit("/", 1)[1]
    return http.post("/web/signin", data={"csrf_token": csrf_of(page.text), "token": token})


def _request(sc: MailRound, department: str) -> RoundRequest:
    return RoundRequest(
        purpose="request",
        round_id=sc.round_id,
        fiscal_year=sc.year,
        plan_title="テスト計画",
        deadline=sc.deadline,
        department_id=sc.departments[department],
        department_name=department,
        total_items=2,
        pending=(),
        grades=("A", "B", "C", "D"),
    )


def _mint(web: WebServer, sc: MailRound, department: str, *, key: str, to: str, **kw: Any) -> str:
    settings = web.runtime.settings
    link = answer_link_for(
        web.db.factory,
        settings,
        calendar_from_settings(settings),
        Target(platform="email", external_id=to, language=kw.get("language")),
        _request(sc, department),
        key=key,
    )
    assert link is not None
    return link.url.removeprefix(settings.public_url or "")


def _problem(response: httpx.Response) -> str:
    found = re.search(r'<div class="error" role="alert">(.*?)</div>', response.text, re.S)
    text = found.group(1) if found else response.text
    return re.sub(r"<[^>]+>", "", text).strip()


def test_answer_links_edges(db: Db, web: WebServer) -> None:
    sc = mail_round(db, web)
    invoke = make_invoke(db)
    # A resend of the same purpose key (after a crash) carries the same URL; another key not.
    path = _mint(web, sc, JINKEN, key="r1:i1:request", to=JINKEN_BOX)
    assert _mint(web, sc, JINKEN, key="r1:i1:request", to=JINKEN_BOX) == path
    other = _mint(web, sc, JINKEN, key="r1:i1:reminder:2030-01-01", to=JINKEN_BOX)
    assert other != path
    with transaction(db.factory) as s:
        assert s.scalar(select(WebLink).where(WebLink.token_hash == digest(path[-43:]))) is not None

    # Reused across visits: two browsers, two sessions, the link still opens.
    first, second = web.client(), web.client()
    assert _open(first, path).status_code == 303
    assert _open(second, path).status_code == 303
    assert first.get(f"/web/departments/{sc.departments[JINKEN]}").status_code == 200
    # Signed in for that department only, as a member.
    assert first.get(f"/web/departments/{sc.departments[KOSODATE]}").status_code == 403
    assert first.get("/web/departments").status_code == 403

    # Expired: the link's time has passed (moved back, as the days would).
    expired = _mint(web, sc, KOSODATE, key="r1:i3:request", to=KOSODATE_BOX)
    with transaction(db.factory) as s:
        s.execute(
            update(WebLink)
            .where(WebLink.token_hash == digest(expired[-43:]))
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    refused = _open(web.client(), expired)
    assert refused.status_code == 400
    assert "有効期限を過ぎています" in _problem(refused)

    # Revoked per department: the open sessions end, the mailed links stop opening.
    done = invoke("web", "revoke", "--dept", JINKEN)
    assert done.exit_code == 0, done.output
    assert "回答リンクを 2件 無効にしました" in flat(done.output)
    assert first.get(f"/web/departments/{sc.departments[JINKEN]}").status_code == 401
    refused = _open(web.client(), path)
    assert refused.status_code == 400 and "事務局が無効にしました" in _problem(refused)
    # The next mail carries a new link, which opens.
    fresh = _mint(web, sc, JINKEN, key="r1:i1:reminder:2030-01-08", to=JINKEN_BOX)
    assert _open(web.client(), fresh).status_code == 303
    # Revoked for all.
    english = _mint(web, sc, JINKEN, key="r1:i2:request", to=ALEX, language="en")
    shown = web.client().get(english)  # in the reader's language, before anything is used
    assert "<h1>Answer page of 人権課</h1>" in shown.text
    assert "Open the answer page" in shown.text and 'lang="en"' in shown.text
    done = invoke("web", "revoke", "--all", "--json")
    assert json.loads(done.output)["links_revoked"] == 2  # fresh and english (not the expired)
    refused = _open(web.client(), english)
    assert "The office has revoked this link." in _problem(refused)

    # After close: refused with the chat's message, in the reader's language.
    ja = _mint(web, sc, KOSODATE, key="r1:i3:reminder:2030-01-08", to=KOSODATE_BOX)
    en = _mint(web, sc, JINKEN, key="r1:i2:reminder:2030-01-08", to=ALEX, language="en")
    opened = web.client()
    assert _open(opened, ja).status_code == 303
    closed = invoke("round", "close")
    assert closed.exit_code == 0, closed.output
    refused_ja, refused_en = _open(web.client(), ja), _open(web.client(), en)
    assert refused_ja.status_code == refused_en.status_code == 409
    year = f"令和{sc.year - 2018}年度"
    assert (
        _problem(refused_ja) == f"{year}の報告は締め切られました。修正は事務局へ連絡してください。"
    )
    assert _problem(refused_en) == (
        f"Reporting for FY{sc.year} is closed. Please contact the office for corrections."
    )
    # A session opened before the close sees its answers but cannot save.
    page = opened.get(f"/web/departments/{sc.departments[KOSODATE]}")
    assert "の報告は締め切られました" in page.text
    saved = opened.post(
        f"/web/departments/{sc.departments[KOSODATE]}/answers",
        data={"csrf_token": csrf_of(page.text), "round": str(sc.round_id), "grade-3": "A"},
    )
    assert saved.status_code == 409 and "締め切られました" in saved.text
    # Failures a closed round causes are not counted as guesses.
    with transaction(db.factory) as s:
        reasons = [
            e.detail["reason"]
            for e in s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "web_link_refused")
                .order_by(AuditEntry.id)
            )
        ]
    assert reasons == ["expired", "revoked", "revoked", "round_closed", "round_closed"]


@pytest.mark.parametrize("missing", ["public_url", "chasing_over"])
def test_no_link_without_a_public_url_or_after_the_chasing(
    db: Db, web: WebServer, missing: str
) -> None:
    """The mail then says how to answer without one (reply to the office)."""
    sc = mail_round(db, web)
    settings = web.runtime.settings
    if missing == "public_url":
        settings = settings.model_copy(update={"public_url": None})
    else:
        with transaction(db.factory) as s:
            rnd = s.get_one(Round, sc.round_id)
            rnd.opens_on = date(2020, 4, 1)
            rnd.deadline = date(2020, 5, 1)
    link = answer_link_for(
        db.factory,
        settings,
        calendar_from_settings(settings),
        Target(platform="email", external_id=JINKEN_BOX),
        _request(sc, JINKEN),
        key="r1:i1:request",
    )
    assert link is None
    with transaction(db.factory) as s:
        assert s.scalars(select(WebSession)).all() == []
        assert s.scalars(select(WebLink)).all() == []
