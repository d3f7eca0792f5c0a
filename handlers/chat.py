"""The text protocol every chat adapter shares: `12 B comment`, 状況, 未回答, ヘルプ, link CODE.

Adapters build a `ChatContext` from their payload and send back `ChatReply.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from handlers.answer_text import parse_answers
from handlers.errors import HokokuError, InvalidInput
from handlers.identities import Membership, redeem_invite
from handlers.normalize import clean_text, fold
from handlers.replies import (
    NOT_LINKED,
    render_help,
    render_outcomes,
    render_pending,
    render_rejected,
    render_status,
)
from handlers.reports import (
    AnswersRejected,
    SubmitOutcome,
    check_answers,
    slot_states,
    submit_answers,
)
from handlers.rounds import ANSWER, VIEW, resolve_round
from handlers.scale import GradeScale
from handlers.status import summarize
from models import Round

_SPLIT = re.compile(r"[\s\u3000]+")


@dataclass(frozen=True)
class ChatContext:
    """Who is talking, where, and as which department.

    `chat_id`/`chat_kind` name what a `link CODE` links: the user in a 1:1 chat, the
    group or channel in a group chat. `reporter` is the person who typed.
    """

    organization_id: int
    platform: str
    reporter: str
    chat_id: str
    today: date
    chat_kind: str = "user"
    memberships: tuple[Membership, ...] = ()
    department_id: int | None = None
    event_key: str | None = None
    round_id: int | None = None


@dataclass(frozen=True)
class ChatReply:
    text: str
    stored: tuple[SubmitOutcome, ...] = ()
    # Set when the sender belongs to several departments and must say which one first.
    choose_department: tuple[Membership, ...] = field(default_factory=tuple)
    linked: Membership | None = None


def _open_round(session: Session, ctx: ChatContext) -> Round:
    return resolve_round(
        session, organization_id=ctx.organization_id, ref=ctx.round_id, purpose=ANSWER
    )


def _latest_round(session: Session, ctx: ChatContext) -> Round:
    """What "how far along are we?" is about: the open round, else the one closed last."""
    return resolve_round(
        session, organization_id=ctx.organization_id, ref=ctx.round_id, purpose=VIEW
    )


def _acting(ctx: ChatContext) -> tuple[Membership, ...]:
    if ctx.department_id is not None:
        return tuple(m for m in ctx.memberships if m.department_id == ctx.department_id)
    return ctx.memberships


def _is_office(ctx: ChatContext) -> bool:
    return any(m.is_office for m in ctx.memberships)


def _status(session: Session, ctx: ChatContext, _arg: str) -> ChatReply:
    rnd = _latest_round(session, ctx)
    if _is_office(ctx):
        summary = summarize(session, round_id=rnd.id, today=ctx.today)
        return ChatReply(render_status(summary, office=True))
    parts = []
    for m in _acting(ctx):
        summary = summarize(
            session, round_id=rnd.id, today=ctx.today, department_id=m.department_id
        )
        parts.append(f"【{m.department_name}】\n" + render_status(summary, office=False))
    return ChatReply("\n\n".join(parts))


def _pending(session: Session, ctx: ChatContext, _arg: str) -> ChatReply:
    rnd = _open_round(session, ctx)
    texts = [
        render_pending(
            slot_states(session, round_id=rnd.id, department_id=m.department_id),
            department_name=m.department_name,
        )
        for m in _acting(ctx)
    ]
    if _is_office(ctx):
        summary = summarize(session, round_id=rnd.id, today=ctx.today)
        missing = [d for d in summary.departments if d.pending]
        texts.append(
            "未回答のある担当課: "
            + ("、".join(f"{d.name}({d.pending})" for d in missing) if missing else "なし")
        )
    return ChatReply("\n\n".join(texts))


def _help(session: Session, ctx: ChatContext, _arg: str) -> ChatReply:
    try:
        scale: GradeScale | None = GradeScale.from_json(_open_round(session, ctx).scale)
    except HokokuError:
        scale = None
    return ChatReply(render_help(scale))


def _link(session: Session, ctx: ChatContext, arg: str) -> ChatReply:
    if not arg:
        raise InvalidInput("招待コードを続けて送ってください（例: link ABCD2345）。")
    membership = redeem_invite(
        session,
        code=arg,
        platform=ctx.platform,
        external_id=ctx.chat_id,
        kind=ctx.chat_kind,
        sender=ctx.reporter,
    )
    role = "（事務局）" if membership.is_office else ""
    where = "このグループ" if ctx.chat_kind != "user" else "あなた"
    return ChatReply(
        f"{where}を{membership.department_name}{role}に登録しました。"
        "「未回答」で担当項目を確認できます。",
        linked=membership,
    )


Command = Callable[[Session, ChatContext, str], ChatReply]

COMMANDS: dict[str, Command] = {
    "status": _status,
    "状況": _status,
    "進捗": _status,
    "pending": _pending,
    "未回答": _pending,
    "help": _help,
    "ヘルプ": _help,
    "?": _help,
    "使い方": _help,
    "link": _link,
    "リンク": _link,
}
# Commands that work before the sender is linked to any department.
OPEN_COMMANDS = {"help", "ヘルプ", "?", "使い方", "link", "リンク"}


def _answers(session: Session, ctx: ChatContext, text: str) -> ChatReply:
    acting = _acting(ctx)
    if len(acting) > 1:
        names = "、".join(m.department_name for m in acting)
        return ChatReply(
            f"複数の担当課（{names}）に登録されています。どの課として回答するか選んでください。",
            choose_department=acting,
        )
    if not acting:
        return ChatReply(NOT_LINKED)
    [member] = acting
    rnd = _open_round(session, ctx)
    parsed = parse_answers(text, scale=GradeScale.from_json(rnd.scale), source_key=ctx.event_key)
    errors = [(e.line_no, e.error.message) for e in parsed.errors]
    try:
        if errors:  # unreadable lines: only check the answers, to list every problem at once
            check_answers(
                session,
                round_id=rnd.id,
                department_id=member.department_id,
                answers=parsed.answers,
            )
            return ChatReply(render_rejected(errors, lines=parsed.lines))
        result = submit_answers(
            session,
            round_id=rnd.id,
            department_id=member.department_id,
            answers=parsed.answers,
            reporter=ctx.reporter,
            channel=ctx.platform,
        )
    except AnswersRejected as exc:
        errors.extend((e.line_no or 0, e.error.message) for e in exc.errors)
        return ChatReply(render_rejected(errors, lines=parsed.lines))
    remaining = render_pending(result.slots, department_name=member.department_name)
    return ChatReply(f"{render_outcomes(result.outcomes)}\n\n{remaining}", stored=result.outcomes)


def handle_text(session: Session, *, ctx: ChatContext, text: str) -> ChatReply:
    """Answer one chat message. User errors become the reply text, never an exception."""
    stripped = clean_text(text).strip()
    if not stripped:
        return _help(session, ctx, "")
    head, _, arg = fold(stripped).partition(" ")
    key = head.lower()
    command = COMMANDS.get(key)
    try:
        if not ctx.memberships and key not in OPEN_COMMANDS:
            return ChatReply(NOT_LINKED)
        if command is not None:
            return command(session, ctx, arg.strip())
        return _answers(session, ctx, stripped)
    except HokokuError as exc:
        return ChatReply(exc.message)
