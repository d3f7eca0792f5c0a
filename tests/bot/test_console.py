"""`hokoku console` with piped stdin: a scripted chat through the shared text protocol."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.console import ConsoleMessenger, greeting, open_session
from bot.runtime import open_runtime
from bot.settings import Settings
from handlers.i18n import literal, msg
from handlers.ports import (
    PURPOSE_REMINDER,
    DigestLine,
    OfficeDigest,
    PendingItem,
    RoundRequest,
    Target,
    TextMessage,
    Unreachable,
)
from models import ChatIdentity, Report, ReportRevision
from models.db import transaction
from tests.bot.cli_helpers import Invoke, flat, make_invoke
from tests.conftest import Db
from tests.factories import build_plan, open_test_round


@pytest.fixture
def cli(db: Db) -> Invoke:
    with transaction(db.factory) as session:
        plan = build_plan(
            session,
            items=[
                ("広報紙で周知", ["女性センター", "秘書広報課"]),
                ("講座の開催", ["女性センター"]),
                ("相談窓口の周知", ["女性センター"]),
                ("職員研修", ["職員課"]),
            ],
        )
        open_test_round(session, plan, deadline=date(2099, 5, 31))
    return make_invoke(db)


def replies(output: str) -> dict[str, str]:
    """`> message` blocks of the piped output, keyed by the message."""
    blocks: dict[str, str] = {}
    for block in output.split("> ")[1:]:
        message, _, reply = block.partition("\n")
        blocks[message] = reply.strip()
    return blocks


def test_a_department_answers_revises_and_asks(cli: Invoke, db: Db) -> None:
    script = (
        "1 B 市広報紙で周知した\n"
        "２　ａ　講座を３回開催\n"
        "\n"
        "未回答\n"
        "1 A 市広報紙とSNSで周知した\n"
        "3 C 窓口カードを配布\n"
        "状況\n"
        "help\n"
    )
    result = cli("console", "--dept", "女性センター", "--as", "yamada", input=script)
    assert result.exit_code == 0, result.output
    said = replies(result.stdout)
    assert list(said) == [
        "1 B 市広報紙で周知した",
        "２　ａ　講座を３回開催",
        "未回答",
        "1 A 市広報紙とSNSで周知した",
        "3 C 窓口カードを配布",
        "状況",
        "help",
    ]
    assert said["1 B 市広報紙で周知した"].splitlines()[:2] == [
        "・[1] 広報紙で周知 → B「市広報紙で周知した」 … 保存",
        "",
    ]
    assert "・[2] 講座の開催 → A「講座を３回開催」 … 保存" in said["２　ａ　講座を３回開催"]
    assert said["未回答"].splitlines() == [
        "女性センター: 未回答 1件（全3件）",
        "[3] 相談窓口の周知",
    ]
    assert "修正（第2版）" in said["1 A 市広報紙とSNSで周知した"]
    assert "全3件すべて回答済みです" in said["3 C 窓口カードを配布"]
    assert "回答 3/3件" in said["状況"] and "A:2  B:0  C:1  D:0" in said["状況"]
    assert "「項目番号 達成度 コメント」を1行に1件" in said["help"]

    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(ReportRevision)) == 4
        rows = session.execute(
            select(Report.reporter, Report.channel).where(Report.grade.is_not(None))
        )
        assert set(rows) == {("yamada", "console")}
        linked = session.scalars(select(ChatIdentity)).one()
        assert (linked.platform, linked.external_id, linked.role) == ("console", "yamada", "member")


def test_each_line_is_its_own_message(cli: Invoke) -> None:
    result = cli("console", "--dept", "女性センター", "--as", "y", input="1 Z だめ\n2 B よい\n")
    said = replies(result.stdout)
    assert "達成度「Z」は使えません" in said["1 Z だめ"]
    assert "・[2] 講座の開催 → B「よい」 … 保存" in said["2 B よい"]


def test_other_departments_item_is_refused(cli: Invoke, db: Db) -> None:
    result = cli("console", "--dept", "職員課", "--as", "y", input="1 B 周知\nexit\n4 A 研修\n")
    said = replies(result.stdout)
    assert "項目 1 は職員課の担当ではありません" in said["1 B 周知"]
    assert "4 A 研修" not in said  # `exit` ends the session
    with db.factory() as session:
        assert session.scalar(select(func.count(Report.grade))) == 0


def test_unlinked_name_is_told_how_to_link(cli: Invoke, db: Db) -> None:
    result = cli("console", "--as", "stranger", input="1 B 周知\n状況\nヘルプ\n")
    assert result.exit_code == 0
    said = replies(result.stdout)
    assert "まだ担当課に登録されていません" in said["1 B 周知"]
    assert "link コード" in said["1 B 周知"]
    assert "まだ担当課に登録されていません" in said["状況"]
    assert "使い方" in said["ヘルプ"]
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(ReportRevision)) == 0


def test_unknown_department_and_round_fail_clearly(cli: Invoke) -> None:
    unknown = cli("console", "--dept", "女性", "--as", "y", input="状況\n")
    assert unknown.exit_code == 1
    assert "担当課「女性」が見つかりません。近い名前: 女性センター" in flat(unknown.stderr)
    no_round = cli("console", "--dept", "女性センター", "--round", "42", input="状況\n")
    assert no_round.exit_code == 1 and "回 42 が見つかりません" in flat(no_round.stderr)
    office = cli("console", "--office", input="状況\n")
    assert office.exit_code == 1 and "--office には --dept" in flat(office.stderr)


def test_office_sees_every_department(cli: Invoke) -> None:
    cli("console", "--dept", "職員課", "--as", "s", input="4 B 研修を実施\n")
    result = cli(
        "console", "--dept", "女性センター", "--office", "--as", "boss", input="状況\n未回答\n"
    )
    said = replies(result.stdout)
    assert "回答 1/5件" in said["状況"]
    assert "秘書広報課" in said["状況"] and "職員課" in said["状況"]
    assert "未回答のある担当課: 女性センター(3)、秘書広報課(1)" in said["未回答"]
    # Without --office the same name speaks as a plain member of the department.
    member = cli("console", "--dept", "女性センター", "--as", "boss", input="状況\n")
    assert "秘書広報課" not in replies(member.stdout)["状況"]


def test_member_of_two_departments_is_asked_to_choose(cli: Invoke) -> None:
    cli("dept", "link", "女性センター", "--console-user", "w")
    cli("dept", "link", "秘書広報課", "--console-user", "w")
    said = replies(cli("console", "--as", "w", input="1 B 周知\n担当課 秘書広報課\n").stdout)
    assert "どの課として回答するか" in said["1 B 周知"]
    assert "「担当課 課名」と送っても選べます: 女性センター、秘書広報課" in said["1 B 周知"]
    # Choosing re-runs the message that waited, and the choice holds for the next ones.
    assert "秘書広報課: 全1件すべて回答済み" in said["担当課 秘書広報課"]
    again = replies(cli("console", "--as", "w", input="1 A 修正\n").stdout)["1 A 修正"]
    assert "修正（第2版）" in again and "秘書広報課" in again
    chosen = cli("console", "--dept", "女性センター", "--as", "w", input="1 B 周知\n")
    assert "女性センター: 未回答 2件" in replies(chosen.stdout)["1 B 周知"]


def test_greeting_names_round_department_and_what_to_type(cli: Invoke, db: Db) -> None:
    rt = open_runtime(Settings(database_url=db.url))
    try:
        session = open_session(rt, reporter="yamada", department="女性センター")
        text = greeting(rt, session)
    finally:
        rt.close()
    assert "hokoku コンソール — 女性センター として（利用者 yamada）" in text
    assert "令和5年度 テスト計画（回 " in text and "締切 2099年5月31日）" in text
    assert "女性センター: 未回答 3件（全3件）" in text
    assert "例: 12 B 市広報紙で周知した" in text and "exit" in text


def test_console_messenger_prints_requests_digests_and_texts() -> None:
    out = io.StringIO()
    messenger = ConsoleMessenger(out)
    target = Target(platform="console", external_id="yamada")
    pending = (PendingItem(1, "1 広報紙で周知", previous_grade="B"), PendingItem(3, "3 相談窓口"))
    messenger.send(
        target,
        RoundRequest(
            purpose=PURPOSE_REMINDER,
            round_id=1,
            fiscal_year=2023,
            plan_title="テスト計画",
            deadline=date(2024, 5, 31),
            department_id=1,
            department_name="女性センター",
            total_items=3,
            pending=pending,
            grades=("A", "B", "C", "D"),
        ),
        key="reminder:1:1",
    )
    messenger.send(
        target,
        OfficeDigest(
            round_id=1,
            fiscal_year=2023,
            plan_title="テスト計画",
            deadline=date(2024, 5, 31),
            total=5,
            submitted=2,
            missing=(DigestLine("女性センター", pending),),
            unreachable=(Unreachable("line", ("女性センター",)),),
        ),
        key="digest:1",
    )
    messenger.send(target, TextMessage(literal("こんにちは")), key="text:1")
    english = Target(platform="console", external_id="smith", language="en")
    messenger.send(english, TextMessage(msg("greeting.back")), key="text:2")
    text = out.getvalue()
    assert messenger.platform == "console"
    assert (
        "── console:yamada (reminder:1:1)\n令和5年度 テスト計画 報告のリマインド\n女性センターの皆さま"
        in text
    )
    assert "締切 2024年5月31日、担当 3件・未回答 2件" in text
    assert "[1] 広報紙で周知（前年度 B）" in text and "（達成度 A／B／C／D）" in text
    assert "令和5年度 テスト計画 回答状況（締切 2024年5月31日）" in text
    assert (
        "回答 2/5件 ████░░░░░░ 40%" in text and "・女性センター（2件）\n  [1] 広報紙で周知" in text
    )
    assert "\nLINE が未設定のため依頼が届かない担当課: 女性センター（LINE_CHANNEL_SECRET/" in text
    assert "── console:yamada (text:1)\nこんにちは" in text
    assert text.rstrip().endswith(
        "── console:smith (text:2)\nWelcome back. Send “pending” to see your items."
    )
