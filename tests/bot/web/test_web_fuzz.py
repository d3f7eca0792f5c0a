"""No input gets a 500 from the web console: generated paths, query strings, forms and
uploads, signed in as the office, as a department, and not at all, against the real
server on SQLite and PostgreSQL (as tests/bot/test_hostile_input.py does for the webhooks).

Every answer must be below 500 and nothing may be logged at ERROR.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.db import transaction
from tests.bot.web.harness import OFFICE, WebServer, csrf_of
from tests.conftest import Db
from tests.factories import build_plan, open_test_round

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GET_PATHS = (
    "/web/",
    "/web",
    "/web/live",
    "/web/stamp",
    "/web/charts/{x}.png",
    "/web/departments",
    "/web/departments/{x}",
    "/web/plans",
    "/web/rounds",
    "/web/remind",
    "/web/downloads",
    "/web/downloads/table.csv",
    "/web/audit",
    "/web/settings",
    "/web/signin/{x}",
    "/web/static/{x}",
    "/web/{x}",
)
POST_PATHS = (
    "/web/departments/{x}/answers",
    "/web/plans/preview",
    "/web/plans/confirm",
    "/web/rounds/open",
    "/web/rounds/{x}/close",
    "/web/rounds/{x}/reopen",
    "/web/rounds/{x}/deadline",
    "/web/remind",
    "/web/language",
    "/web/signin",
)
QUERY_KEYS = ("round", "stamp", "plan", "action", "actor", "days", "lang", "previous", "x")
FORM_KEYS = (
    "grade-1",
    "comment-1",
    "grade-2",
    "grade-999999999999",
    "comment-0",
    "round",
    "form_id",
    "submit_key",
    "plan",
    "year",
    "deadline",
    "opens",
    "scale",
    "department",
    "language",
    "back",
    "upload",
    "token",
    "name",
    "title",
    "replace",
)

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "0", "-1", "2024", "2024-05-31", "+4w", "A", "Ｂ", "ja", "en", ""]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["<script>alert(1)</script>", "../../etc/passwd", "%00", "\x00", "🙂" * 30]),
)
segments = st.one_of(
    st.integers(min_value=-5, max_value=2**64).map(str), st.text(min_size=1, max_size=20)
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    file: tuple[str, bytes] | None
    who: str  # office / member / nobody
    csrf: bool


requests = st.builds(
    Request,
    method=st.sampled_from(["GET", "POST"]),
    path=st.one_of(st.sampled_from(GET_PATHS), st.sampled_from(POST_PATHS)),
    query=st.dictionaries(st.sampled_from(QUERY_KEYS), texts, max_size=3),
    form=st.dictionaries(st.sampled_from(FORM_KEYS), texts, max_size=6),
    file=st.none()
    | st.tuples(
        st.sampled_from(["plan.csv", "plan.xlsx", "x.exe", "", "../p.csv", "表.tsv"]),
        st.binary(max_size=300),
    ),
    who=st.sampled_from(["office", "member", "nobody"]),
    csrf=st.booleans(),
)


@dataclass
class Clients:
    office: httpx.Client
    member: httpx.Client
    nobody: httpx.Client
    csrf: dict[str, str]


@pytest.fixture
def clients(db: Db, web: WebServer, caplog: pytest.LogCaptureFixture) -> Iterator[Clients]:
    with transaction(db.factory) as session:
        plan = build_plan(session, items=[("広報", ["女性センター"]), ("研修", ["職員課"])])
        open_test_round(session, plan)
    office = web.sign_in(web.link(OFFICE, office=True))
    member = web.sign_in(web.link("女性センター"))
    csrf = {
        "office": csrf_of(office.get("/web/rounds").text),
        "member": csrf_of(member.get(member.get("/web/").headers["location"]).text),
        "nobody": "",
    }
    caplog.set_level(logging.WARNING)
    yield Clients(office, member, web.client(), csrf)
    for client in (office, member):
        client.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


@EXAMPLES
@given(request=requests, segment=segments)
def test_no_request_gets_a_500(clients: Clients, request: Request, segment: str) -> None:
    http: httpx.Client = getattr(clients, request.who)
    path = request.path.replace("{x}", quote(segment, safe=""))
    if request.method == "GET":
        response = http.get(path, params=request.query)
    else:
        form = dict(request.form)
        if request.csrf:
            form["csrf_token"] = clients.csrf[request.who]
        files = {"file": (request.file[0], request.file[1])} if request.file else None
        response = http.post(path, params=request.query, data=form, files=files)
    assert response.status_code < 500, (request, segment, response.text[:500])
