"""The console's locks, over HTTP against the real server, on SQLite and PostgreSQL: links
that are used, expired, guessed or revoked; sessions that end; a department that opens
another's page; POSTs without a CSRF token; oversized and wrong uploads; HTML in names;
and nothing readable without a session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from handlers.organization.identities import INVITE_FAILURE_LIMIT
from handlers.organization.web_access import IDLE
from models import AuditEntry, ReportRevision, WebSession, utcnow
from models.db import transaction
from tests.bot.cli_helpers import make_invoke
from tests.bot.web.harness import OFFICE, WebServer, csrf_of
from tests.conftest import Db
from tests.factories import build_plan, open_test_round

PAGES = (
    "/web/",
    "/web/live?stamp=x",
    "/web/stamp",
    "/web/charts/completion.png",
    "/web/departments",
    "/web/departments/1",
    "/web/plans",
    "/web/rounds",
    "/web/remind",
    "/web/downloads",
    "/web/downloads/handout.xlsx",
    "/web/downloads/table.csv",
    "/web/audit",
    "/web/settings",
)


def seed(db: Db) -> int:
    """A small plan with an open round: items 1–2 女性センター, 3 職員課."""
    with transaction(db.factory) as session:
        plan = build_plan(
            session,
            items=[
                ("広報紙で周知", ["女性センター"]),
                ("講座の開催", ["女性センター"]),
                ("職員研修", ["職員課"]),
            ],
        )
        return open_test_round(session, plan).id


def audited(db: Db, action: str) -> list[dict[str, object]]:
    with transaction(db.factory) as session:
        return [
            dict(e.detail)
            for e in session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        ]


def test_nothing_is_readable_without_a_session(db: Db, web: WebServer) -> None:
    seed(db)
    http = web.client()
    for path in PAGES:
        response = http.get(path)
        assert response.status_code == 401, path
        assert "女性センター" not in response.text and "職員研修" not in response.text, path
        assert "no-store" in response.headers["cache-control"]
    http.cookies.set("hokoku_session", "forged.value.here")
    assert http.get("/web/").status_code == 401


def test_a_link_works_once(db: Db, web: WebServer) -> None:
    seed(db)
    link = web.link("女性センター")
    http = web.sign_in(link)
    assert http.get("/web/").headers["location"].startswith("/web/departments/")
    other = web.client()
    page = other.get(link.path)  # the page itself shows only a button (link checkers open URLs)
    assert page.status_code == 200
    again = other.post("/web/signin", data={"csrf_token": csrf_of(page.text), "token": link.token})
    assert again.status_code == 400
    assert "すでに使われています" in again.text
    assert "hokoku_session" not in again.headers.get("set-cookie", "")
    assert [d["reason"] for d in audited(db, "web_link_refused")] == ["used"]


def test_an_expired_link_is_refused(db: Db, web: WebServer) -> None:
    seed(db)
    link = web.link("女性センター", now=utcnow() - timedelta(minutes=16))
    http = web.client()
    page = http.get(link.path)
    response = http.post(
        "/web/signin", data={"csrf_token": csrf_of(page.text), "token": link.token}
    )
    assert response.status_code == 400 and "有効期限を過ぎています" in response.text
    assert [d["reason"] for d in audited(db, "web_link_refused")] == ["expired"]


def test_guessed_links_are_throttled_and_audited(db: Db, web: WebServer) -> None:
    seed(db)
    http = web.client()
    page = http.get("/web/signin/" + "A" * 43)
    csrf = csrf_of(page.text)
    codes = [
        http.post("/web/signin", data={"csrf_token": csrf, "token": "B" * 42 + str(n)}).status_code
        for n in range(INVITE_FAILURE_LIMIT)
    ]
    assert codes == [400] * INVITE_FAILURE_LIMIT
    good = web.link("女性センター")
    refused = http.post("/web/signin", data={"csrf_token": csrf, "token": good.token})
    assert refused.status_code == 429 and "しばらく受け付けません" in refused.text
    assert len(audited(db, "web_link_refused")) == INVITE_FAILURE_LIMIT
    assert audited(db, "web_link_throttled")


def test_a_department_cannot_open_another_departments_page(db: Db, web: WebServer) -> None:
    seed(db)
    http = web.sign_in(web.link("女性センター"))
    own = http.get("/web/").headers["location"]
    assert "広報紙で周知" in http.get(own).text
    with transaction(db.factory) as session:
        from handlers.organization.directory import find_department

        other = find_department(session, organization_id=web.runtime.organization_id, name="職員課")
    response = http.get(f"/web/departments/{other.id}")
    assert response.status_code == 403
    assert "職員研修" not in response.text
    assert "職員課の担当者と事務局だけが見られます" in response.text
    page = http.get(own)
    posted = http.post(
        f"/web/departments/{other.id}/answers",
        data={"csrf_token": csrf_of(page.text), "grade-3": "A", "comment-3": "横から"},
    )
    assert posted.status_code == 403
    for office_page in ("/web/plans", "/web/rounds", "/web/audit", "/web/downloads/handout.xlsx"):
        assert http.get(office_page).status_code == 403, office_page
    with transaction(db.factory) as session:
        assert session.scalar(select(func.count()).select_from(ReportRevision)) == 0


def test_a_post_without_the_csrf_token_is_refused(db: Db, web: WebServer) -> None:
    seed(db)
    http = web.sign_in(web.link("女性センター"))
    own = http.get("/web/").headers["location"]
    for token in (None, "", "0" * 64):
        data = {"grade-1": "A", "comment-1": "CSRF"}
        if token is not None:
            data["csrf_token"] = token
        response = http.post(f"{own}/answers", data=data)
        assert response.status_code == 403, token
    office = web.sign_in(web.link(OFFICE, office=True))
    assert office.post("/web/rounds/1/close", data={}).status_code == 403
    assert office.post("/web/signout", data={}).status_code == 403
    with transaction(db.factory) as session:
        assert session.scalar(select(func.count()).select_from(ReportRevision)) == 0
    assert office.get("/web/").status_code == 200  # still signed in: the forged sign-out failed


def test_uploads_are_bounded_in_size_and_type(db: Db, web: WebServer) -> None:
    http = web.sign_in(web.link(OFFICE, office=True))
    csrf = csrf_of(http.get("/web/plans").text)
    limit = web.runtime.settings.max_upload_bytes
    big = http.post(
        "/web/plans/preview",
        data={"csrf_token": csrf},
        files={"file": ("plan.csv", b"a,b\n" * (limit // 4 + 1000), "text/csv")},
    )
    assert big.status_code == 413 and "大きすぎます" in big.text
    exe = http.post(
        "/web/plans/preview",
        data={"csrf_token": csrf},
        files={"file": ("plan.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert exe.status_code == 400 and "plan.exe" in exe.text
    fake = http.post(
        "/web/plans/preview",
        data={"csrf_token": csrf},
        files={"file": ("plan.xlsx", b"not a zip at all", "application/vnd.ms-excel")},
    )
    assert fake.status_code == 400
    assert http.get("/web/plans").text.count("<tbody>") == 0  # no plan was stored


def test_html_in_a_department_name_is_shown_as_text(db: Db, web: WebServer) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>課'
    with transaction(db.factory) as session:
        plan = build_plan(session, items=[("<b>太字</b>の事業", [evil])])
        open_test_round(session, plan)
        plan_id = plan.id
    http = web.sign_in(web.link(OFFICE, office=True))
    pages = (
        "/web/",
        "/web/departments",
        "/web/remind",
        "/web/settings",
        f"/web/plans?plan={plan_id}",
    )
    for path in pages:
        body = http.get(path).text
        assert "<script>alert" not in body and "<img src=x" not in body, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body, path
    member = web.sign_in(web.link(evil))
    page = member.get(member.get("/web/").headers["location"]).text
    assert "&lt;b&gt;太字&lt;/b&gt;の事業" in page and "<b>太字</b>" not in page


def test_sessions_end_by_sign_out_idleness_and_revocation(db: Db, web: WebServer) -> None:
    seed(db)
    first = web.sign_in(web.link(OFFICE, office=True))
    cookie = first.cookies["hokoku_session"]
    out = first.post("/web/signout", data={"csrf_token": csrf_of(first.get("/web/").text)})
    assert out.status_code == 200 and "サインアウトしました" in out.text
    replay = web.client()
    replay.cookies.set("hokoku_session", cookie)
    assert replay.get("/web/").status_code == 401  # the old cookie opens nothing

    idle = web.sign_in(web.link(OFFICE, office=True))
    with transaction(db.factory) as session:
        session.execute(
            update(WebSession)
            .where(WebSession.ended_at.is_(None))
            .values(last_seen_at=utcnow() - IDLE - timedelta(minutes=1))
        )
    assert idle.get("/web/").status_code == 401

    revoked = web.sign_in(web.link(OFFICE, office=True))
    assert revoked.get("/web/").status_code == 200
    invoke = make_invoke(db, HOKOKU_PUBLIC_URL="http://localhost:3000")
    listed = invoke("web", "sessions", "--json")
    assert listed.exit_code == 0 and OFFICE in listed.output
    done = invoke("web", "revoke", "--all")
    assert done.exit_code == 0 and "1件" in done.output
    assert revoked.get("/web/").status_code == 401
    assert audited(db, "web_revoke") and audited(db, "web_signout")


def test_cookie_flags(db: Db, web: WebServer) -> None:
    http = web.client()
    link = web.link(OFFICE, office=True)
    page = http.get(link.path)
    response = http.post(
        "/web/signin", data={"csrf_token": csrf_of(page.text), "token": link.token}
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("hokoku_session=")
    )
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= flags
    assert "samesite=lax" in cookie.lower() and "path=/web" in cookie.lower()
    assert "secure" not in flags  # the public URL is http://localhost here
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_cli_prints_a_link_that_signs_in(db: Db, web: WebServer) -> None:
    seed(db)
    invoke = make_invoke(db, HOKOKU_PUBLIC_URL=web.url)
    result = invoke("web", "link", "--dept", "女性センター", "--json")
    assert result.exit_code == 0, result.output
    import json

    url = json.loads(result.output)["url"]
    http = web.client()
    page = http.get(url.removeprefix(web.url))
    token = url.rsplit("/", 1)[1]
    signed = http.post("/web/signin", data={"csrf_token": csrf_of(page.text), "token": token})
    assert signed.status_code == 303
    assert http.get(signed.headers["location"]).status_code == 200
    missing = make_invoke(db)("web", "link", "--dept", "女性センター")
    assert missing.exit_code == 1 and "HOKOKU_PUBLIC_URL" in missing.output


def test_a_new_installation_signs_the_office_in_before_any_plan(db: Db, web: WebServer) -> None:
    """No department exists yet: the office's first link registers its department (said so),
    and the plan imported afterwards finds it; once departments exist, a typo is refused."""
    import json

    invoke = make_invoke(db, HOKOKU_PUBLIC_URL=web.url)
    first = invoke("web", "link", "--dept", "女性センター", "--office")
    assert first.exit_code == 0, first.output
    assert "事務局の担当課として登録しました" in first.output
    url = invoke("web", "link", "--dept", "女性センター", "--office", "--json")
    http = web.client()
    path = json.loads(url.output)["url"].removeprefix(web.url)
    page = http.get(path)
    signed = http.post(
        "/web/signin", data={"csrf_token": csrf_of(page.text), "token": path.rsplit("/", 1)[1]}
    )
    assert signed.status_code == 303
    assert http.get("/web/plans").status_code == 200  # the office's pages
    seed(db)  # the plan names 女性センター: the same department, not a second one
    with transaction(db.factory) as session:
        from models import Department

        assert session.scalar(select(func.count()).select_from(Department)) == 2
    typo = invoke("web", "link", "--dept", "女性センタ一", "--office")
    assert typo.exit_code == 1 and "見つかりません" in typo.output
