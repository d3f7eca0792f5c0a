"""Conversations in LINE, read like dialogs: link, answer by buttons and by text, groups, office."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.line.postback import decode, encode
from handlers.i18n import translator
from handlers.interaction.intents import CommentShortcut, GradeButton, MoreItems
from handlers.organization.directory import find_department
from handlers.reporting.reports import submit_answer
from models import (
    ROLE_OFFICE,
    AuditEntry,
    ChatIdentity,
    ConversationState,
    Report,
    ReportRevision,
    utcnow,
)
from models.db import transaction
from tests.bot.line.conftest import (
    LineBot,
    event,
    open_previous_round,
    postback_event,
    text_event,
)
from tests.factories import build_plan, open_test_round

NOT_LINKED = translator("ja")("link.required", prefix="")
GROUP_NOT_LINKED = translator("ja")("link.required.group", prefix="")


def _dept(bot: LineBot, name: str) -> int:
    with transaction(bot.db.factory) as session:
        return find_department(session, organization_id=bot.organization_id, name=name).id


def _report(bot: LineBot, item: int, department: str) -> Report:
    from models import Assignment, Item

    with transaction(bot.db.factory) as session:
        report = session.scalar(
            select(Report)
            .join(Assignment, Assignment.id == Report.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .where(
                Report.round_id == bot.round_id,
                Item.number == item,
                Assignment.department_id == _dept(bot, department),
            )
        )
        assert report is not None
        return report


def _revisions(bot: LineBot) -> int:
    with transaction(bot.db.factory) as session:
        return session.scalar(select(func.count()).select_from(ReportRevision)) or 0


def _grade(
    bot: LineBot, item: int, grade: str, department: str = "女性センター", last_year: bool = False
) -> str:
    """A grade button's data (`last_year`: its card showed last year's answer)."""
    return encode(GradeButton(bot.round_id, _dept(bot, department), item, grade, last_year))


def _quick_labels(message: dict[str, object]) -> list[str]:
    items = message["quickReply"]["items"]  # type: ignore[index]
    return [i["action"]["label"] for i in items]  # type: ignore[index]


def test_link_by_code_in_a_one_to_one_chat(line_bot: LineBot) -> None:
    code = line_bot.invite("女性センター")
    reply = line_bot.say(f"link {code.lower()}", user="U1")
    assert "女性センター" in reply and "登録しました" in reply
    with transaction(line_bot.db.factory) as session:
        identity = session.scalar(select(ChatIdentity))
        assert identity is not None
        assert (identity.platform, identity.external_id, identity.kind) == ("line", "U1", "user")
    # The code is single use.
    assert "すでに使われています" in line_bot.say(f"link {code}", user="U9")


def test_unlinked_user_learns_how_to_link_and_nothing_is_stored(line_bot: LineBot) -> None:
    assert line_bot.say("1 B 周知した", user="U7") == NOT_LINKED
    messages = line_bot.send(postback_event(_grade(line_bot, 1, "B"), user="U7"))
    assert messages[0]["text"] == NOT_LINKED
    assert _revisions(line_bot) == 0
    # In an unlinked group, ordinary chatter gets no answer; a command gets the how-to.
    line_bot.post(text_event("おはようございます", user="U7", group="C1"))
    # The group is what is not linked (and U7 is not linked either).
    assert line_bot.say("1 B 周知した", user="U7", group="C1") == GROUP_NOT_LINKED
    assert len(line_bot.api.replies) == 3


def test_follow_greets_and_join_explains_group_linking(line_bot: LineBot) -> None:
    [greeting] = line_bot.send(event("follow", user="U1", follow={"isUnblocked": False}))
    assert "link" in greeting["text"]
    [group] = line_bot.send(event("join", group="C1"))
    assert "グループ" in group["text"] and "link" in group["text"]


def test_group_members_answer_for_the_linked_department_and_are_recorded(
    line_bot: LineBot,
) -> None:
    code = line_bot.invite("女性センター")
    assert "このグループ" in line_bot.say(f"link {code}", user="U1", group="C1")
    # Chatter in the group is not for the bot, even when it starts with a number.
    line_bot.post(text_event("会議は3時からです", user="U2", group="C1"))
    line_bot.post(text_event("3 時に集合で", user="U2", group="C1"))
    # A typo'd grade still gets help rather than silence.
    assert "達成度「E」は使えません" in line_bot.say("2 E 講座", user="U2", group="C1")
    reply = line_bot.say("1 B 市広報紙で周知した", user="U2", group="C1")
    assert "保存" in reply
    line_bot.send(postback_event(_grade(line_bot, 2, "A"), user="U3", group="C1"))
    assert _report(line_bot, 1, "女性センター").reporter == "U2"
    second = _report(line_bot, 2, "女性センター")
    assert (second.grade, second.reporter, second.channel) == ("A", "U3", "line")
    with transaction(line_bot.db.factory) as session:
        kinds = session.scalars(select(ChatIdentity.kind)).all()
    assert kinds == ["group"]
    assert len(line_bot.api.replies) == 4  # link, typo help, answer, grade button; chatter ignored


def test_grade_button_is_stored_then_the_next_text_is_the_comment(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    [prompt] = line_bot.send(postback_event(_grade(line_bot, 2, "b"), user="U1"))
    assert "保存" in prompt["text"] and "コメント" in prompt["text"]
    assert _quick_labels(prompt) == ["コメントなし"]  # no last year's comment to copy
    report = _report(line_bot, 2, "女性センター")
    assert (report.grade, report.comment, report.revision) == ("B", "", 1)
    with transaction(line_bot.db.factory) as session:
        state = session.scalar(select(ConversationState))
        assert state is not None and state.data["item"] == 2

    # Someone else's text in another chat is not this comment.
    line_bot.link("U2", "女性センター")
    assert "使い方" in line_bot.say("ヘルプ", user="U2")
    reply = line_bot.say("講座を3回開催し、延べ90人が参加した", user="U1")
    assert "講座を3回開催" in reply and "女性センター: 未回答 1件（全2件）" in reply
    report = _report(line_bot, 2, "女性センター")
    assert (report.grade, report.comment, report.revision) == (
        "B",
        "講座を3回開催し、延べ90人が参加した",
        2,
    )
    with transaction(line_bot.db.factory) as session:
        assert session.scalar(select(func.count()).select_from(ConversationState)) == 0
    # The conversation is over: the next free text is not taken as a comment.
    assert NOT_LINKED not in line_bot.say("ヘルプ", user="U1")
    assert _revisions(line_bot) == 2


def test_comment_in_a_group_belongs_to_the_member_who_pressed_the_button(
    line_bot: LineBot,
) -> None:
    line_bot.link("C1", "女性センター", kind="group")
    line_bot.send(postback_event(_grade(line_bot, 1, "C"), user="U1", group="C1"))
    line_bot.post(text_event("了解です", user="U2", group="C1"))  # U2's chatter: ignored
    line_bot.say("予算の都合で一部のみ実施", user="U1", group="C1")
    report = _report(line_bot, 1, "女性センター")
    assert (report.grade, report.comment, report.reporter) == (
        "C",
        "予算の都合で一部のみ実施",
        "U1",
    )


def test_quick_reply_no_comment_keeps_the_grade_and_ends_the_question(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    department = _dept(line_bot, "女性センター")
    line_bot.send(postback_event(_grade(line_bot, 1, "A"), user="U1"))
    data = encode(CommentShortcut(line_bot.round_id, department, 1, same_as_last_year=False))
    [reply] = line_bot.send(postback_event(data, user="U1"))
    assert "A で記録しました" in reply["text"] and "コメントなし" in reply["text"]
    with transaction(line_bot.db.factory) as session:
        assert session.scalar(select(func.count()).select_from(ConversationState)) == 0
    # Typed コメントなし works the same way.
    line_bot.send(postback_event(_grade(line_bot, 2, "D"), user="U1"))
    assert "D で記録しました" in line_bot.say("コメントなし", user="U1")
    assert _report(line_bot, 2, "女性センター").comment == ""
    assert _revisions(line_bot) == 2


def test_quick_reply_same_as_last_year_copies_last_years_comment(line_bot: LineBot) -> None:
    previous = open_previous_round(line_bot)
    department = _dept(line_bot, "女性センター")
    with transaction(line_bot.db.factory) as session:
        submit_answer(
            session,
            round_id=previous,
            department_id=department,
            item_number=1,
            grade="B",
            comment="市報に特集記事を掲載",
            reporter="office",
            channel="cli",
        )
    line_bot.link("U1", "女性センター")
    [prompt] = line_bot.send(postback_event(_grade(line_bot, 1, "A", last_year=True), user="U1"))
    assert _quick_labels(prompt) == ["コメントなし", "前年と同じ"]
    same = prompt["quickReply"]["items"][1]["action"]["data"]
    assert decode(same) == CommentShortcut(line_bot.round_id, department, 1, True)
    [reply] = line_bot.send(postback_event(same, user="U1"))
    assert "市報に特集記事を掲載" in reply["text"]
    report = _report(line_bot, 1, "女性センター")
    assert (report.grade, report.comment) == ("A", "市報に特集記事を掲載")


def test_expired_question_does_not_swallow_the_next_text(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    line_bot.send(postback_event(_grade(line_bot, 1, "B"), user="U1"))
    with transaction(line_bot.db.factory) as session:
        session.execute(
            update(ConversationState).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    reply = line_bot.say("これはコメントのつもり", user="U1")
    assert "読み取れません" in reply
    assert _report(line_bot, 1, "女性センター").comment == ""


def test_button_of_another_department_is_refused(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    [reply] = line_bot.send(postback_event(_grade(line_bot, 3, "A", "職員課"), user="U1"))
    assert "回答できません" in reply["text"]
    assert _revisions(line_bot) == 0


def test_text_protocol_status_pending_and_help(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    assert "保存" in line_bot.say("１　ｂ　市広報紙で周知した", user="U1")
    assert "回答 1/2件" in line_bot.say("状況", user="U1")
    messages = line_bot.send(text_event("未回答", user="U1"))
    assert "未回答 1件" in messages[0]["text"]
    carousel = messages[1]["contents"]
    assert carousel["type"] == "carousel"
    assert [b["body"]["contents"][0]["text"] for b in carousel["contents"]] == ["No.2"]
    assert "使い方" in line_bot.say("ヘルプ", user="U1")
    bad = line_bot.say("2 Z 何か", user="U1")
    assert "Z" in bad and "A／B／C／D" in bad


def test_office_asks_status_and_sees_every_department(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    line_bot.say("1 A 周知した", user="U1")
    code = line_bot.invite("女性センター", role=ROLE_OFFICE)
    line_bot.say(f"link {code}", user="UOFFICE")
    reply = line_bot.say("状況", user="UOFFICE")
    assert "回答 1/4件" in reply
    for name in ("女性センター", "秘書広報課", "職員課"):
        assert name in reply


def test_unfollow_and_leave_unlink_but_keep_the_audit(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    line_bot.link("C1", "職員課", kind="group")
    assert (
        line_bot.post(event("unfollow", user="U1"), event("leave", group="C1")).status_code == 200
    )
    # unfollow/leave have no reply token: the next reply is the unlinked answer.
    assert line_bot.say("1 B 周知", user="U1") == NOT_LINKED
    with transaction(line_bot.db.factory) as session:
        identities = session.scalars(select(ChatIdentity)).all()
        assert [i.active for i in identities] == [False, False]
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count("unlink") == 2
    assert line_bot.api.pushes == []


def test_carousel_pages_thirty_items_twelve_at_a_time(line_bot: LineBot) -> None:
    with transaction(line_bot.db.factory) as session:
        plan = build_plan(
            session,
            name="大きな計画",
            items=[(f"取組{n}", ["男女平等推進センター"]) for n in range(1, 31)],
        )
        from models import Round

        for rnd in session.scalars(select(Round)):
            rnd.closed_at = utcnow()  # the big plan's round is the open one
        big_round = open_test_round(session, plan, year=2024).id
    line_bot.link("U1", "男女平等推進センター")
    department = _dept(line_bot, "男女平等推進センター")

    def numbers(carousel: dict) -> list[int]:
        return [int(b["body"]["contents"][0]["text"][3:]) for b in carousel["contents"]["contents"]]

    first = line_bot.send(text_event("未回答", user="U1"))
    assert len(first) == 3  # text, carousel, 次へ bubble
    assert numbers(first[1]) == list(range(1, 13))
    next_button = first[2]["contents"]["footer"]["contents"][0]["action"]
    assert next_button["label"] == "次へ"
    assert decode(next_button["data"]) == MoreItems(big_round, department, 12)
    grade_buttons = first[1]["contents"]["contents"][0]["footer"]["contents"]
    assert [b["action"]["label"] for b in grade_buttons] == [
        "A 計画以上",
        "B 計画どおり",
        "C 計画以下",
        "D 未着手",
    ]

    second = line_bot.send(postback_event(next_button["data"], user="U1"))
    assert numbers(second[0]) == list(range(13, 25))
    third = line_bot.send(
        postback_event(second[1]["contents"]["footer"]["contents"][0]["action"]["data"], user="U1")
    )
    assert len(third) == 1
    assert numbers(third[0]) == list(range(25, 31))


def test_member_of_two_departments_chooses_by_quick_reply(line_bot: LineBot) -> None:
    line_bot.link("U1", "女性センター")
    line_bot.link("U1", "秘書広報課")
    [question] = line_bot.send(text_event("1 B 広報紙に掲載した", user="U1"))
    assert "どの課" in question["text"]
    assert sorted(_quick_labels(question)) == ["女性センター", "秘書広報課"]
    assert _revisions(line_bot) == 0
    choice = next(
        i["action"]["data"]
        for i in question["quickReply"]["items"]
        if i["action"]["label"] == "秘書広報課"
    )
    [reply] = line_bot.send(postback_event(choice, user="U1"))
    assert "保存" in reply["text"]
    report = _report(line_bot, 1, "秘書広報課")
    assert (report.grade, report.comment, report.reporter) == ("B", "広報紙に掲載した", "U1")
    assert _report(line_bot, 1, "女性センター").grade is None
    # The waiting message was answered once: tapping again only keeps the choice.
    [again] = line_bot.send(postback_event(choice, user="U1"))
    assert "秘書広報課として回答します" in again["text"]
    assert _revisions(line_bot) == 1
