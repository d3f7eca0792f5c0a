"""What every Slack listener needs: who the caller is and the DM channel."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.slack.ids import PLATFORM
from handlers.errors import HokokuError
from handlers.identities import Membership, memberships
from handlers.rounds import ANSWER, resolve_round
from models import Round


def caller_memberships(session: Session, *user_or_channel: str) -> tuple[Membership, ...]:
    """Active links of the given Slack ids (a user, and a channel for @mentions), merged."""
    found: dict[int, Membership] = {}
    for external_id in user_or_channel:
        if not external_id:
            continue
        for m in memberships(session, platform=PLATFORM, external_id=external_id):
            if m.department_id not in found or m.is_office:
                found[m.department_id] = m
    return tuple(sorted(found.values(), key=lambda m: (not m.is_office, m.department_name)))


def is_office(members: tuple[Membership, ...]) -> bool:
    return any(m.is_office for m in members)


def may_answer_for(members: tuple[Membership, ...], department_id: int) -> bool:
    """Members answer for their own departments; the office answers for anyone (proxy)."""
    return is_office(members) or any(m.department_id == department_id for m in members)


def open_round(
    session: Session, runtime: Runtime, ref: int | None = None, *, purpose: str = ANSWER
) -> Round | None:
    """The open round (ANSWER), or for status and exports the latest one (VIEW); None if none."""
    try:
        return resolve_round(
            session, organization_id=runtime.organization_id, ref=ref, purpose=purpose
        )
    except HokokuError:
        return None


def dm_channel(client: WebClient, user_id: str) -> str:
    """The bot's DM with this user (conversations.open is idempotent)."""
    opened = client.conversations_open(users=user_id)
    channel = opened.get("channel") or {}
    return str(channel.get("id") or user_id)


NO_OPEN_ROUND = "受付中の報告の回がありません。事務局が回を開くとお知らせが届きます。"

NOT_LINKED_SLACK = (
    "このSlackアカウントはまだ担当課に登録されていません。\n"
    "事務局（男女共同参画担当）に「hokoku dept invite 担当課名」で招待コードを発行してもらい、"
    "届いたコードを `/hokoku link コード` と入力してください。登録されるまで回答は保存されません。"
)
