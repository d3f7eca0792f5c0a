"""/hokoku over signed slash-command requests: link, status, pending, report, export, help."""

from __future__ import annotations

from sqlalchemy import select

from handlers.organization.identities import create_invite, memberships
from models import Department
from models.db import transaction
from tests.bot.slack.harness import SlackHarness, seed
from tests.conftest import Db


def test_link_with_invite_code_registers_the_caller(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={})
    with transaction(db.factory) as session:
        dept = session.scalars(select(Department)).one()
        code = create_invite(session, department=dept).code
    response = slack.command("U7", f"link {code.lower()}")
    assert response.status_code == 200
    assert "女性センターに登録しました" in response.json()["text"]
    with transaction(db.factory) as session:
        [m] = memberships(session, platform="slack", external_id="U7")
        assert m.department_name == "女性センター" and not m.is_office
    again = slack.command("U8", f"link {code}").json()["text"]
    assert "すでに使われています" in again


def test_unlinked_user_is_told_how_to_get_linked(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={})
    text = slack.command("U9", "status").json()["text"]
    assert "まだ担当課に登録されていません" in text and "「/hokoku link コード」" in text


def test_status_member_sees_own_department_office_sees_all(db: Db, slack: SlackHarness) -> None:
    seed(
        db,
        items=[("広報", ["女性センター"]), ("道路", ["道路課"]), ("研修", ["人権課"])],
        links={"U1": [("女性センター", "member")], "UOFF": [("女性センター", "office")]},
    )
    slack.dm("U1", "1 B 周知した", event_id="EvS")
    member = slack.command("U1", "status").json()
    assert member["response_type"] == "ephemeral"
    assert "【女性センター】" in member["text"] and "回答 1/1件" in member["text"]
    assert "道路課" not in member["text"]
    office = slack.command("UOFF", "状況").json()
    body = str(office["blocks"])
    assert "回答 1/3件" in office["text"] and "A:0  B:1" in office["text"]
    # Past the deadline: overdue departments come first, with a warning mark.
    assert body.index("⚠期限超過 人権課") < body.index("女性センター ██")
    assert body.index("⚠期限超過 道路課") < body.index("女性センター ██")


def test_pending_lists_unanswered_items(db: Db, slack: SlackHarness) -> None:
    seed(
        db,
        items=[("広報", ["女性センター"]), ("研修", ["女性センター"])],
        links={"U1": [("女性センター", "member")]},
    )
    text = slack.command("U1", "pending").json()["text"]
    assert "未回答 2件" in text and "[1] 広報" in text and "[2] 研修" in text


def test_export_is_office_only(db: Db, slack: SlackHarness) -> None:
    seed(db, items=[("広報", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    text = slack.command("U1", "export").json()["text"]
    assert "事務局だけ" in text
    assert slack.api.of("files.getUploadURLExternal") == []


def test_report_with_several_departments_offers_a_choice(db: Db, slack: SlackHarness) -> None:
    seed(
        db,
        items=[("広報", ["女性センター", "人権課"])],
        links={"U1": [("女性センター", "member"), ("人権課", "member")]},
    )
    choice = slack.command("U1", "report").json()
    assert choice["response_type"] == "ephemeral"
    names = [b["text"]["text"] for b in choice["blocks"][1]["elements"]]
    assert sorted(names) == ["人権課", "女性センター"]
    assert slack.api.of("views.open") == []


def test_help_and_unknown_subcommand(db: Db, slack: SlackHarness) -> None:
    assert "/hokoku 報告 / report" in slack.command("U1", "").json()["text"]
    assert "「foo」は分かりません" in slack.command("U1", "foo").json()["text"]


def test_office_export_uploads_the_xlsx_after_the_ack(db: Db, slack: SlackHarness) -> None:
    import io

    from openpyxl import load_workbook

    seed(db, items=[("広報", ["女性センター"])], links={"UOFF": [("女性センター", "office")]})
    slack.dm("UOFF", "1 B 周知した", event_id="EvX")
    ack = slack.command("UOFF", "export", channel="C0OFFICE").json()
    assert "作成しています" in ack["text"]
    [get_url] = slack.api.of("files.getUploadURLExternal")
    assert get_url.body["filename"].endswith(".xlsx")
    [upload] = slack.api.of("upload")
    [complete] = slack.api.of("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C0OFFICE"
    sheet = load_workbook(io.BytesIO(upload.raw)).worksheets[0]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "女性センター" in values and "B" in values


def test_an_office_member_who_reads_english_gets_the_handout_in_english(
    db: Db, slack: SlackHarness
) -> None:
    """`language en`, then `/hokoku export`: the file is in the reader's language."""
    import io

    from openpyxl import load_workbook

    seed(db, items=[("広報", ["女性センター"])], links={"UOFF": [("女性センター", "office")]})
    slack.dm("UOFF", "1 B 周知した", event_id="EvL1")
    slack.dm("UOFF", "language en", event_id="EvL2")
    ack = slack.command("UOFF", "export", channel="C0OFFICE").json()
    assert "作成しています" not in ack["text"]
    [upload] = slack.api.of("upload")
    sheet = load_workbook(io.BytesIO(upload.raw)).worksheets[0]
    values = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any(v.startswith("Grade (FY") for v in values), values
    assert not any(v.startswith("達成度") for v in values)
