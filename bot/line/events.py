"""What each LINE webhook event means for hokoku: a dispatch table event type → handler.

Handlers take an open Session (inside the webhook's one transaction per event) and return
the Messaging API messages to reply with; they never send anything themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    Source,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)
from sqlalchemy.orm import Session

from bot.line import flex
from bot.line.limits import MESSAGES_PER_CALL
from bot.line.postback import (
    ACTION_DEPARTMENT,
    ACTION_GRADE,
    ACTION_NEXT,
    ACTION_NO_COMMENT,
    ACTION_SAME_COMMENT,
    Postback,
    decode,
)
from handlers.answer_text import is_answer_line
from handlers.chat import COMMANDS, ChatContext, handle_text
from handlers.conversation import AWAIT_COMMENT, AWAIT_DEPARTMENT, forget, recall, remember
from handlers.errors import InvalidInput, NotFound, PermissionDenied
from handlers.identities import Membership, memberships, unlink_identity
from handlers.normalize import fold, fold_key
from handlers.ports import PendingItem
from handlers.replies import NOT_LINKED, render_outcomes
from handlers.reports import SlotView, department_slots, submit_answer
from handlers.rounds import ANSWER, resolve_round
from handlers.scale import GradeScale
from handlers.status import summarize
from models import Round

PLATFORM = "line"
Json = dict[str, Any]
PENDING_COMMANDS = frozenset({"未回答", "pending"})
NO_COMMENT_WORDS = frozenset({fold_key(flex.NO_COMMENT_LABEL), "なし"})
SAME_COMMENT_WORDS = frozenset({fold_key(flex.SAME_COMMENT_LABEL), "前年どおり", "前年通り"})

GREETING_USER = (
    "友だち追加ありがとうございます。hokoku は男女共同参画行動計画の進行管理（年次報告）を"
    "LINEで集めるボットです。\n"
    "事務局から届いた招待コードを「link コード」の形で送ると、担当課として登録されます"
    "（例: link ABCD2345）。\n「ヘルプ」で使い方を表示します。"
)
GREETING_GROUP = (
    "グループに招待ありがとうございます。hokoku は男女共同参画行動計画の進行管理（年次報告）を"
    "集めるボットです。\n"
    "事務局から届いた招待コードをこのグループで「link コード」と送ると、このグループが担当課として"
    "登録され、メンバーのだれでも回答できます（回答した人は記録されます）。\n"
    "「ヘルプ」で使い方を表示します。"
)
NON_TEXT_HINT = "文字で送ってください。「ヘルプ」で使い方を表示します。"


@dataclass(frozen=True)
class Chat:
    """Where an event happened: a 1:1 chat (kind user) or a group/room, and who acted."""

    kind: str
    chat_id: str
    user_id: str | None

    @property
    def is_group(self) -> bool:
        return self.kind != "user"

    @property
    def person(self) -> str:
        """Whose conversation state this is and who is recorded as the reporter."""
        return self.user_id or f"{self.kind}:{self.chat_id}"


@dataclass(frozen=True)
class EventContext:
    organization_id: int
    event_key: str
    chat: Chat
    now: datetime
    today: date

    @property
    def source_key(self) -> str:
        return f"{PLATFORM}:{self.event_key}"


def chat_of(source: Source | None) -> Chat | None:
    if isinstance(source, UserSource) and source.user_id:
        return Chat("user", source.user_id, source.user_id)
    if isinstance(source, GroupSource):
        return Chat("group", source.group_id, source.user_id)
    if isinstance(source, RoomSource):
        return Chat("room", source.room_id, source.user_id)
    return None


def _members(session: Session, ctx: EventContext) -> list[Membership]:
    return memberships(session, platform=PLATFORM, external_id=ctx.chat.chat_id)


def _member_for(members: Sequence[Membership], department_id: int) -> Membership:
    for member in members:
        if member.department_id == department_id:
            return member
    if not members:
        raise PermissionDenied(NOT_LINKED)
    raise PermissionDenied(
        "このボタンの担当課には登録されていないため回答できません。"
        "「未回答」で自分の担当項目を表示してください。"
    )


def _grades(rnd: Round) -> list[tuple[str, str]]:
    return [(g.letter, g.label) for g in GradeScale.from_json(rnd.scale).grades]


def _pending_page(
    session: Session, *, rnd: Round, department_id: int, after_item: int | None = None
) -> list[Json]:
    """The carousel of pending items (after `after_item` in plan order), with 次へ if needed."""
    slots = department_slots(session, round_id=rnd.id, department_id=department_id)
    if after_item is not None:
        numbers = [s.item_number for s in slots]
        start = numbers.index(after_item) + 1 if after_item in numbers else 0
        slots = slots[start:]
    pending = [s for s in slots if s.grade is None]
    return flex.item_page(
        [_pending_item(s) for s in pending],
        round_id=rnd.id,
        department_id=department_id,
        grades=_grades(rnd),
        heading="未回答の項目",
    )


def _pending_item(slot: SlotView) -> PendingItem:
    return PendingItem(slot.item_number, slot.item_display, slot.previous_grade)


def _slot(session: Session, *, round_id: int, department_id: int, item: int) -> SlotView:
    found = department_slots(
        session, round_id=round_id, department_id=department_id, item_number=item
    )
    if not found:
        raise InvalidInput(f"項目 {item} はこの担当課の項目ではありません。")
    return found[0]


def _remaining_line(session: Session, *, round_id: int, department_id: int, today: date) -> str:
    own = summarize(session, round_id=round_id, today=today, department_id=department_id)
    pending = own.total - own.submitted
    if pending == 0:
        return f"全{own.total}件すべて回答済みです。ありがとうございました。"
    return f"未回答はあと {pending} 件です（「未回答」で一覧）。"


# --- text messages ------------------------------------------------------------------------


def _head(text: str) -> str:
    return fold(text).partition(" ")[0].lower()


def _open_scale(session: Session, ctx: EventContext) -> GradeScale | None:
    try:
        rnd = resolve_round(session, organization_id=ctx.organization_id, ref=None, purpose=ANSWER)
    except NotFound:
        return None
    return GradeScale.from_json(rnd.scale)


def _addressed_in_group(session: Session, ctx: EventContext, text: str) -> bool:
    """In a group only an answer line (`12 B …` with a grade of the open round, or a short
    Latin typo like `12 E`) is for the bot; `3 時に集合` is the members' own conversation."""
    return is_answer_line(text, _open_scale(session, ctx))


def on_message(session: Session, ctx: EventContext, event: Event) -> list[Json]:
    assert isinstance(event, MessageEvent)
    if not isinstance(event.message, TextMessageContent):
        return [] if ctx.chat.is_group else [flex.text(NON_TEXT_HINT)]
    text = event.message.text
    members = _members(session, ctx)
    is_command = _head(text) in COMMANDS
    if members and not is_command:
        waiting = recall(
            session,
            platform=PLATFORM,
            chat_id=ctx.chat.chat_id,
            user_id=ctx.chat.person,
            kind=AWAIT_COMMENT,
            now=ctx.now,
        )
        if waiting is not None:
            rnd = session.get(Round, int(waiting["round_id"]))
            scale = GradeScale.from_json(rnd.scale) if rnd else None
            if not is_answer_line(text, scale):
                return _comment(session, ctx, waiting, text)
    if ctx.chat.is_group and not (is_command or _addressed_in_group(session, ctx, text)):
        return []  # ordinary conversation in the group: not for the bot
    return _run_text(session, ctx, members, text)


def _run_text(
    session: Session,
    ctx: EventContext,
    members: Sequence[Membership],
    text: str,
    *,
    department_id: int | None = None,
) -> list[Json]:
    """The shared text protocol (handlers.chat), plus LINE extras: carousel, department choice."""
    reply = handle_text(
        session,
        ctx=ChatContext(
            organization_id=ctx.organization_id,
            platform=PLATFORM,
            reporter=ctx.chat.person,
            chat_id=ctx.chat.chat_id,
            chat_kind=ctx.chat.kind,
            today=ctx.today,
            memberships=tuple(members),
            department_id=department_id,
            event_key=ctx.source_key,
        ),
        text=text,
    )
    if reply.choose_department:
        remember(
            session,
            platform=PLATFORM,
            chat_id=ctx.chat.chat_id,
            user_id=ctx.chat.person,
            kind=AWAIT_DEPARTMENT,
            data={"text": text},
            now=ctx.now,
        )
        choices = [(m.department_id, m.department_name) for m in reply.choose_department]
        return [flex.choose_department(reply.text, choices)]
    if reply.stored:
        forget(session, platform=PLATFORM, chat_id=ctx.chat.chat_id, user_id=ctx.chat.person)
    departments = (
        {department_id} if department_id is not None else {m.department_id for m in members}
    )
    page: list[Json] = []
    if _head(text) in PENDING_COMMANDS and len(departments) == 1:
        rnd = resolve_round(session, organization_id=ctx.organization_id, ref=None, purpose=ANSWER)
        page = _pending_page(session, rnd=rnd, department_id=departments.pop())
    # A long reply (e.g. 60 answers confirmed) becomes several texts; 5 messages per reply.
    return flex.texts(reply.text, room=MESSAGES_PER_CALL - len(page)) + page


def _comment(session: Session, ctx: EventContext, waiting: dict[str, Any], text: str) -> list[Json]:
    """The text after a grade button is that item's comment (or コメントなし / 前年と同じ)."""
    postback = Postback(
        ACTION_GRADE,
        int(waiting["round_id"]),
        int(waiting["department_id"]),
        item=int(waiting["item"]),
        grade=str(waiting["grade"]),
    )
    key = fold_key(text)
    if key in NO_COMMENT_WORDS:
        return _no_comment(session, ctx, postback)
    if key in SAME_COMMENT_WORDS:
        return _same_comment(session, ctx, postback)
    _member_for(_members(session, ctx), postback.department_id)
    return _store_comment(session, ctx, postback, grade=postback.grade, comment=text)


def _store_comment(
    session: Session, ctx: EventContext, postback: Postback, *, grade: str, comment: str
) -> list[Json]:
    """Store the awaited comment as a revision, stop waiting, say what is left."""
    outcome = submit_answer(
        session,
        round_id=postback.round_id,
        department_id=postback.department_id,
        item_number=postback.item,
        grade=grade,
        comment=comment,
        reporter=ctx.chat.person,
        channel=PLATFORM,
        source_key=ctx.source_key,
        now=ctx.now,
    )
    forget(session, platform=PLATFORM, chat_id=ctx.chat.chat_id, user_id=ctx.chat.person)
    remaining = _remaining_line(
        session,
        round_id=postback.round_id,
        department_id=postback.department_id,
        today=ctx.today,
    )
    return [flex.text(f"{render_outcomes([outcome])}\n{remaining}")]


# --- postbacks ----------------------------------------------------------------------------


def _grade(session: Session, ctx: EventContext, postback: Postback) -> list[Json]:
    """A grade button: store the grade now (comment kept), then ask for the comment."""
    _member_for(_members(session, ctx), postback.department_id)
    outcome = submit_answer(
        session,
        round_id=postback.round_id,
        department_id=postback.department_id,
        item_number=postback.item,
        grade=postback.grade,
        comment=None,
        reporter=ctx.chat.person,
        channel=PLATFORM,
        source_key=ctx.source_key,
        now=ctx.now,
    )
    slot = _slot(
        session,
        round_id=postback.round_id,
        department_id=postback.department_id,
        item=postback.item,
    )
    remember(
        session,
        platform=PLATFORM,
        chat_id=ctx.chat.chat_id,
        user_id=ctx.chat.person,
        kind=AWAIT_COMMENT,
        data={
            "round_id": postback.round_id,
            "department_id": postback.department_id,
            "item": postback.item,
            "grade": outcome.grade,
        },
        now=ctx.now,
    )
    return [
        flex.comment_prompt(
            render_outcomes([outcome]),
            round_id=postback.round_id,
            department_id=postback.department_id,
            item=postback.item,
            has_previous=bool(slot.previous_comment),
        )
    ]


def _no_comment(session: Session, ctx: EventContext, postback: Postback) -> list[Json]:
    _member_for(_members(session, ctx), postback.department_id)
    slot = _slot(
        session,
        round_id=postback.round_id,
        department_id=postback.department_id,
        item=postback.item,
    )
    forget(session, platform=PLATFORM, chat_id=ctx.chat.chat_id, user_id=ctx.chat.person)
    if slot.grade is None:
        return [
            flex.text(f"項目 {slot.item_number} の達成度がまだありません。ボタンで選んでください。")
        ]
    kept = f"（コメントは前のまま: {slot.comment[:40]}）" if slot.comment else "（コメントなし）"
    remaining = _remaining_line(
        session,
        round_id=postback.round_id,
        department_id=postback.department_id,
        today=ctx.today,
    )
    return [
        flex.text(f"項目 {slot.item_number} を {slot.grade} で記録しました{kept}。\n{remaining}")
    ]


def _same_comment(session: Session, ctx: EventContext, postback: Postback) -> list[Json]:
    """前年と同じ: copy last year's comment of this slot as this year's comment."""
    _member_for(_members(session, ctx), postback.department_id)
    slot = _slot(
        session,
        round_id=postback.round_id,
        department_id=postback.department_id,
        item=postback.item,
    )
    if slot.grade is None:
        return [
            flex.text(f"項目 {slot.item_number} の達成度がまだありません。ボタンで選んでください。")
        ]
    if not slot.previous_comment:
        return [
            flex.text(
                f"項目 {slot.item_number} には前年度のコメントがありません。"
                "コメントを送るか「コメントなし」を選んでください。"
            )
        ]
    return _store_comment(session, ctx, postback, grade=slot.grade, comment=slot.previous_comment)


def _next_page(session: Session, ctx: EventContext, postback: Postback) -> list[Json]:
    _member_for(_members(session, ctx), postback.department_id)
    rnd = session.get(Round, postback.round_id)
    if rnd is None or rnd.is_closed:
        return [flex.text("この回の受付は終わっています。")]
    page = _pending_page(
        session, rnd=rnd, department_id=postback.department_id, after_item=postback.item
    )
    return page or [flex.text("この先に未回答の項目はありません。「未回答」で最初から表示します。")]


def _department(session: Session, ctx: EventContext, postback: Postback) -> list[Json]:
    """The sender chose which department the message they sent just before is for."""
    members = _members(session, ctx)
    _member_for(members, postback.department_id)
    waiting = recall(
        session,
        platform=PLATFORM,
        chat_id=ctx.chat.chat_id,
        user_id=ctx.chat.person,
        kind=AWAIT_DEPARTMENT,
        now=ctx.now,
    )
    if waiting is None:
        return [flex.text("選択の期限が切れました。もう一度送ってください。")]
    forget(session, platform=PLATFORM, chat_id=ctx.chat.chat_id, user_id=ctx.chat.person)
    return _run_text(
        session, ctx, members, str(waiting["text"]), department_id=postback.department_id
    )


PostbackHandler = Callable[[Session, EventContext, Postback], list[Json]]
POSTBACK_ACTIONS: dict[str, PostbackHandler] = {
    ACTION_GRADE: _grade,
    ACTION_NEXT: _next_page,
    ACTION_NO_COMMENT: _no_comment,
    ACTION_SAME_COMMENT: _same_comment,
    ACTION_DEPARTMENT: _department,
}


def on_postback(session: Session, ctx: EventContext, event: Event) -> list[Json]:
    assert isinstance(event, PostbackEvent)
    postback = decode(event.postback.data)
    return POSTBACK_ACTIONS[postback.action](session, ctx, postback)


# --- follow / join / unfollow / leave -----------------------------------------------------


def on_follow(session: Session, ctx: EventContext, event: Event) -> list[Json]:
    if _members(session, ctx):
        return [flex.text("おかえりなさい。「未回答」で担当項目を表示します。")]
    return [flex.text(GREETING_USER)]


def on_join(session: Session, ctx: EventContext, event: Event) -> list[Json]:
    return [flex.text(GREETING_GROUP)]


def on_unfollow(session: Session, ctx: EventContext, event: Event) -> list[Json]:
    """Blocked or left: the links are deactivated (rows and audit kept); nothing to reply."""
    unlink_identity(
        session,
        platform=PLATFORM,
        external_id=ctx.chat.chat_id,
        actor=f"{PLATFORM}:{ctx.chat.person}",
        now=ctx.now,
    )
    return []


EventHandler = Callable[[Session, EventContext, Event], list[Json]]
EVENT_HANDLERS: dict[type[Event], EventHandler] = {
    MessageEvent: on_message,
    PostbackEvent: on_postback,
    FollowEvent: on_follow,
    JoinEvent: on_join,
    UnfollowEvent: on_unfollow,
    LeaveEvent: on_unfollow,
}
