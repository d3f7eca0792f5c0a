"""`hokoku round`, `hokoku report` and `hokoku dept` run for real against both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from models import ROLE_MEMBER, ROLE_OFFICE, AuditEntry, ChatIdentity, Plan, Report, Round
from models.db import transaction
from tests.bot.cli_helpers import Invoke, flat, make_invoke
from tests.conftest import Db
from tests.factories import SMALL_PLAN, build_plan

OPEN = ("round", "open", "--plan", "テスト計画", "--opens", "2024-04-01")


@pytest.fixture
def cli(db: Db) -> Invoke:
    with transaction(db.factory) as session:
        build_plan(
            session,
            items=SMALL_PLAN,
        )
    return make_invoke(db)


def count(db: Db, model: type) -> int:
    with db.factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def open_round(cli: Invoke, year: str = "2023", *extra: str) -> int:
    result = cli(*OPEN, "--year", year, "--deadline", "2024-05-31", "--json", *extra)
    assert result.exit_code == 0, result.output
    round_id = json.loads(result.stdout)["round"]
    assert isinstance(round_id, int)
    return round_id


# --- round -----------------------------------------------------------------------------


def test_open_creates_one_slot_per_item_and_department(cli: Invoke, db: Db) -> None:
    result = cli(*OPEN, "--year", "2023", "--deadline", "2024-05-31", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["label"] == "令和5年度"
    assert (data["slots"], data["deadline"], data["opens_on"]) == (4, "2024-05-31", "2024-04-01")
    assert [g["letter"] for g in data["scale"]] == ["A", "B", "C", "D"]
    assert count(db, Report) == 4

    text = cli(*OPEN, "--year", "2022", "--deadline", "2023-05-31", "--opens", "2023-04-01")
    assert text.exit_code == 0, text.output
    assert "令和4年度の回を開きました" in text.stdout and "報告枠 4件" in text.stdout
    assert count(db, Round) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--deadline", "2024-02-30"), "--deadline の日付「2024-02-30」を読み取れません"),
        (("--deadline", "来週"), "2024-05-31 の形で指定してください"),
        (("--deadline", "2024-03-01"), "締切 2024-03-01 が開始日 2024-04-01 より前です"),
        (("--deadline", "2024-05-31", "--scale", "A"), "2つ以上"),
        (("--deadline", "2024-05-31", "--scale", "1,2,3"), "数字だけにできません"),
        (("--deadline", "2024-05-31", "--scale", "A,B,a"), "同じものが2回"),
    ],
)
def test_open_refuses_bad_input_and_writes_nothing(
    cli: Invoke, db: Db, args: tuple[str, ...], message: str
) -> None:
    result = cli(*OPEN, "--year", "2023", *args)
    assert result.exit_code == 1
    assert message in flat(result.stderr)
    assert count(db, Round) == 0 and count(db, Report) == 0


def test_open_twice_for_the_same_year_is_refused(cli: Invoke, db: Db) -> None:
    first = open_round(cli)
    again = cli(*OPEN, "--year", "2023", "--deadline", "2024-06-30")
    assert again.exit_code == 1
    assert f"令和5年度の回はすでにあります（回 {first}）" in flat(again.stderr)
    assert count(db, Round) == 1


def test_unknown_plan_lists_the_known_ones(cli: Invoke) -> None:
    result = cli("round", "open", "--plan", "第9次", "--year", "2023", "--deadline", "2024-05-31")
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert "計画「第9次」が見つかりません" in err and ":テスト計画" in err


def test_plan_by_id_and_a_custom_scale(cli: Invoke, db: Db) -> None:
    with db.factory() as session:
        plan_id = session.scalar(select(Plan.id))
    result = cli(
        "round", "open", "--plan", str(plan_id), "--year", "2023", "--deadline", "2024-05-31",
        "--opens", "2024-04-01", "--scale", "達成,概ね達成,未達成", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [g["letter"] for g in json.loads(result.stdout)["scale"]] == [
        "達成",
        "概ね達成",
        "未達成",
    ]
    stored = cli("report", "set", "--dept", "職員課", "--item", "3", "--grade", "概ね達成")
    assert stored.exit_code == 0, stored.output
    assert "→ 概ね達成" in stored.stdout
    bad = cli("report", "set", "--dept", "職員課", "--item", "3", "--grade", "B")
    assert "達成／概ね達成／未達成 のどれかで" in flat(bad.stderr)


def test_list_show_and_close(cli: Invoke) -> None:
    round_id = open_round(cli)
    cli("report", "set", "--dept", "職員課", "--item", "3", "--grade", "A")
    listed = json.loads(cli("round", "list", "--json").stdout)
    assert [(r["round"], r["submitted"], r["slots"], r["closed"]) for r in listed] == [
        (round_id, 1, 4, False)
    ]
    table = cli("round", "list").stdout
    assert "令和5年度" in table and "1/4" in table and "受付中" in table
    shown = cli("round", "show").stdout
    assert f"回 {round_id}（令和5年度 テスト計画・受付中）" in shown
    assert "回答 1/4件（25%）" in shown

    closed = cli("round", "close", "--round", str(round_id))
    assert closed.exit_code == 0 and "受付を終了しました" in closed.stdout
    assert json.loads(cli("round", "show", "--round", str(round_id), "--json").stdout)["closed"]
    # The office may still enter answers it received on paper (office year tests: late entry).
    late = cli("report", "set", "--dept", "職員課", "--item", "3", "--grade", "B")
    assert late.exit_code == 0, late.output
    assert f"回 {round_id}（令和5年度 テスト計画・受付終了）" in flat(late.stdout)
    missing = cli("round", "show", "--round", "999")
    assert missing.exit_code == 1 and "回 999 が見つかりません" in flat(missing.stderr)


# --- report ----------------------------------------------------------------------------


def test_report_set_stores_revises_and_keeps_history(cli: Invoke, db: Db) -> None:
    open_round(cli)
    set_ = ("report", "set", "--dept", "女性センター", "--item", "１")
    first = cli(*set_, "--grade", "ｂ", "--comment", "市広報紙で周知した", "--by", "田中（郵送）")
    assert first.exit_code == 0, first.output
    assert "・[1] 広報紙で周知 → B「市広報紙で周知した」 … 保存" in first.stdout

    second = cli(*set_, "--grade", "A", "--json")
    assert json.loads(second.stdout) | {"round": 0} == {
        "round": 0,
        "closed": False,
        "status": "revised",
        "department": "女性センター",
        "item": 1,
        "grade": "A",
        "comment": "市広報紙で周知した",  # no --comment keeps the comment
        "revision": 2,
    }
    same = cli(*set_, "--grade", "A")
    assert "変更なし" in same.stdout

    history = json.loads(
        cli("report", "history", "--dept", "女性センター", "--item", "1", "--json").stdout
    )
    assert [(h["revision"], h["grade"], h["channel"]) for h in history] == [
        (1, "B", "office"),
        (2, "A", "office"),
    ]
    assert history[0]["reporter"] == "田中（郵送）"
    assert history[1]["reporter"].startswith("cli:")
    with db.factory() as session:
        audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "proxy_answer"))
        assert [a.detail["revision"] for a in audits] == [1, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dept", "女性センター", "--item", "1", "--grade", "Z"), "達成度「Z」は使えません。A／B／C／D"),
        (("--dept", "女性センター", "--item", "3", "--grade", "A"), "項目 3 は女性センターの担当ではありません"),
        (("--dept", "女性センター", "--item", "99", "--grade", "A"), "項目 99 はこの計画にありません"),
        (("--dept", "女性センタ", "--item", "1", "--grade", "A"), "担当課「女性センタ」が見つかりません。近い名前: 女性センター"),
        (("--dept", "女性センター", "--item", "一", "--grade", "A"), "--item には項目番号を数字で"),
        (("--dept", "女性センター", "--item", "1", "--grade", "A", "--comment", "あ" * 3001), "3000字以内"),
    ],
)  # fmt: skip
def test_report_set_refuses_bad_input_in_japanese(
    cli: Invoke, db: Db, args: tuple[str, ...], message: str
) -> None:
    open_round(cli)
    result = cli("report", "set", *args)
    assert result.exit_code == 1
    assert message in flat(result.stderr)
    with db.factory() as session:
        assert session.scalar(select(func.count(Report.grade))) == 0


# --- dept ------------------------------------------------------------------------------


def test_invite_code_links_a_console_user_once(cli: Invoke, db: Db) -> None:
    open_round(cli)
    invite = cli("dept", "invite", "女性センター", "--json")
    assert invite.exit_code == 0, invite.output
    data = json.loads(invite.stdout)
    assert (data["department"], data["role"]) == ("女性センター", ROLE_MEMBER)
    code = data["code"]

    chat = cli("console", "--as", "suzuki", input=f"link {code.lower()}\n2 A 講座を3回開催\n")
    assert chat.exit_code == 0, chat.output
    assert "あなたを女性センターに登録しました" in chat.stdout
    assert "・[2] 講座の開催 → A「講座を3回開催」 … 保存" in chat.stdout

    other = cli("console", "--as", "sato", input=f"link {code}\n")
    assert "この招待コードはすでに使われています" in other.stdout
    listed = json.loads(cli("dept", "list", "--json").stdout)
    center = next(d for d in listed if d["name"] == "女性センター")
    assert center["items"] == 2
    assert center["identities"] == [
        {"platform": "console", "kind": "user", "id": "suzuki", "role": ROLE_MEMBER}
    ]


def test_office_invite_gives_the_office_view(cli: Invoke) -> None:
    open_round(cli)
    text = cli("dept", "invite", "女性センター", "--office", "--days", "3")
    assert text.exit_code == 0
    out = flat(text.stdout)
    assert "事務局" in out and "/hokoku link" in out
    code = out.split("招待コード: ")[1][:8]
    chat = cli("console", "--as", "boss", input=f"link {code}\n状況\n")
    assert "女性センター（事務局）に登録しました" in chat.stdout
    assert "職員課" in chat.stdout and "回答 0/4件" in chat.stdout
    assert cli("dept", "invite", "女性センター", "--days", "0").exit_code == 2


def test_link_every_kind_of_identity(cli: Invoke, db: Db) -> None:
    result = cli(
        "dept", "link", "秘書広報課",
        "--slack-user", "U01AB2CD3EF", "--slack-user", "W0SOMEONE",
        "--slack-channel", "C0HISHO",
        "--line-user", "U4af4980629", "--line-group", "Ca56f9463",
        "--console-user", "tanaka", "--office",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "slack channel C0HISHO → 秘書広報課（事務局）" in result.stdout
    with db.factory() as session:
        rows = session.execute(
            select(
                ChatIdentity.platform,
                ChatIdentity.kind,
                ChatIdentity.external_id,
                ChatIdentity.role,
            ).order_by(ChatIdentity.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("slack", "user", "U01AB2CD3EF", ROLE_OFFICE),
        ("slack", "user", "W0SOMEONE", ROLE_OFFICE),
        ("slack", "channel", "C0HISHO", ROLE_OFFICE),
        ("line", "user", "U4af4980629", ROLE_OFFICE),
        ("line", "group", "Ca56f9463", ROLE_OFFICE),
        ("console", "user", "tanaka", ROLE_OFFICE),
    ]
    # Linking again as a member neither duplicates nor downgrades.
    assert cli("dept", "link", "秘書広報課", "--console-user", "tanaka").exit_code == 0
    assert count(db, ChatIdentity) == 6
    table = cli("dept", "list").stdout
    assert "console:user:tanaka（事務局）" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--slack-user", "C0CHANNEL"), "--slack-user に「C0CHANNEL」は使えません"),
        (("--slack-channel", "U01AB"), "--slack-channel に「U01AB」は使えません"),
        (("--line-group", "U4af49806"), "--line-group に「U4af49806」は使えません"),
        ((), "登録する相手を指定してください"),
    ],
)
def test_link_refuses_ids_of_the_wrong_kind(
    cli: Invoke, db: Db, args: tuple[str, ...], message: str
) -> None:
    result = (
        cli("dept", "link", "職員課", "--console-user", "ok", *args)
        if args
        else cli("dept", "link", "職員課")
    )
    assert result.exit_code == 1
    assert message in flat(result.stderr)
    assert count(db, ChatIdentity) == 0  # nothing half-linked


def test_unlink_from_one_department_keeps_the_others(cli: Invoke, db: Db) -> None:
    open_round(cli)
    cli("dept", "link", "女性センター", "--console-user", "tanaka")
    cli("dept", "link", "職員課", "--console-user", "tanaka")
    out = cli("dept", "unlink", "女性センター", "--console-user", "tanaka")
    assert out.exit_code == 0 and "女性センターから外しました（1件）" in out.stdout
    chat = cli("console", "--as", "tanaka", input="3 B 研修を実施\n1 B 周知\n")
    assert "・[3] 職員研修 → B「研修を実施」 … 保存" in chat.stdout
    assert "項目 1 は職員課の担当ではありません" in chat.stdout
    again = cli("dept", "unlink", "女性センター", "--console-user", "tanaka")
    assert "女性センターに登録されていません" in again.stdout
    everywhere = cli("dept", "unlink", "--console-user", "tanaka")
    assert "すべての担当課から外しました（1件）" in everywhere.stdout
    gone = cli("console", "--as", "tanaka", input="3 A 研修\n")
    assert "まだ担当課に登録されていません" in gone.stdout
    with db.factory() as session:
        assert session.scalar(select(func.count()).where(ChatIdentity.active.is_(False))) == 2
