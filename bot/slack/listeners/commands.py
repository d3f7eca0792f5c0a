"""`/hokoku` sub-commands through a dispatch table; every reply is ephemeral.

Quick work answers in the ack itself (within Slack's 3 seconds); the export is slow, so
it is acknowledged first and built by a bolt lazy listener afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.slack import blocks, exporting, payloads
from bot.slack.chatting import handle_message
from bot.slack.context import (
    NO_OPEN_ROUND,
    NOT_LINKED_SLACK,
    caller_memberships,
    is_office,
    open_round,
)
from bot.slack.listeners.actions import open_report_modal
from handlers.directory import find_department
from handlers.errors import HokokuError
from handlers.normalize import fold
from handlers.rounds import VIEW
from handlers.status import summarize
from models.db import transaction

logger = logging.getLogger("hokoku.slack")

SLASH_HELP = (
    "*/hokoku の使い方*\n"
    "• `/hokoku report` … 回答フォームを開く（事務局は `/hokoku report 担当課名` で代理入力）\n"
    "• `/hokoku status` … 進み具合（事務局は全担当課）\n"
    "• `/hokoku pending` … 未回答の項目\n"
    "• `/hokoku export` … 達成状況一覧（XLSX）を受け取る（事務局のみ）\n"
    "• `/hokoku link コード` … 事務局から届いた招待コードで担当課に登録\n"
    "• `/hokoku help` … この説明\n"
    "ボットとのDMで「12 B 市広報紙で周知した」のように送っても回答できます。"
)


@dataclass(frozen=True)
class Invocation:
    """One /hokoku call, translated from the payload."""

    user_id: str
    channel_id: str
    trigger_id: str
    argument: str


@dataclass(frozen=True)
class Answer:
    text: str
    blocks: list[blocks.Block] | None = None


Handler = Callable[[Runtime, WebClient, Invocation], Answer | None]


def _text_protocol(runtime: Runtime, call: Invocation, text: str) -> Answer:
    turn = handle_message(
        runtime,
        user_id=call.user_id,
        channel=call.channel_id,
        chat_kind="user",
        text=text,
        event_key=f"command:{call.user_id}:{call.trigger_id}",
    )
    return Answer(turn.reply.text if turn is not None else "受け付け済みです。")


def _help(runtime: Runtime, client: WebClient, call: Invocation) -> Answer:
    return Answer(SLASH_HELP)


def _link(runtime: Runtime, client: WebClient, call: Invocation) -> Answer:
    if not call.argument:
        return Answer("招待コードを続けて入力してください（例: `/hokoku link ABCD2345`）。")
    return _text_protocol(runtime, call, f"link {call.argument}")


def _pending(runtime: Runtime, client: WebClient, call: Invocation) -> Answer:
    return _text_protocol(runtime, call, "未回答")


def _status(runtime: Runtime, client: WebClient, call: Invocation) -> Answer:
    with transaction(runtime.reader) as session:
        members = caller_memberships(session, call.user_id)
        if not members:
            return Answer(NOT_LINKED_SLACK)
        rnd = open_round(session, runtime, purpose=VIEW)
        if rnd is None:
            return Answer(NO_OPEN_ROUND)
        day = runtime.today()
        if is_office(members):
            summary = summarize(session, round_id=rnd.id, today=day)
            return Answer(blocks.status_head(summary), blocks.office_status(summary))
        parts = []
        for m in members:
            summary = summarize(session, round_id=rnd.id, today=day, department_id=m.department_id)
            parts.append(f"【{m.department_name}】\n{blocks.status_head(summary)}")
        text = "\n\n".join(parts)
        return Answer(text, blocks.text_blocks(text))


def _report(runtime: Runtime, client: WebClient, call: Invocation) -> Answer | None:
    """Open the answer form: own department, a choice of several, or (office) any by name."""
    with transaction(runtime.reader) as session:
        members = caller_memberships(session, call.user_id)
        if not members:
            return Answer(NOT_LINKED_SLACK)
        rnd = open_round(session, runtime)
        if rnd is None:
            return Answer(NO_OPEN_ROUND)
        round_id = rnd.id
        department_id: int | None = None
        if call.argument:
            if not is_office(members):
                mine = [m for m in members if fold(m.department_name) == fold(call.argument)]
                if not mine:
                    return Answer(
                        f"「{call.argument}」の回答はできません。登録されている担当課: "
                        + "、".join(m.department_name for m in members)
                    )
                department_id = mine[0].department_id
            else:
                try:
                    dept = find_department(
                        session, organization_id=runtime.organization_id, name=call.argument
                    )
                except HokokuError as exc:
                    return Answer(exc.message)
                department_id = dept.id
        elif len(members) == 1:
            department_id = members[0].department_id
        else:
            prompt = "どの担当課として回答しますか？"
            return Answer(
                prompt, blocks.department_choice(members, round_id=round_id, prompt=prompt)
            )
    error = open_report_modal(
        runtime,
        client,
        trigger_id=call.trigger_id,
        user_id=call.user_id,
        round_id=round_id,
        department_id=department_id,
        channel=call.channel_id,
    )
    return Answer(error) if error else None


def _export(runtime: Runtime, client: WebClient, call: Invocation) -> Answer:
    with transaction(runtime.reader) as session:
        members = caller_memberships(session, call.user_id)
        if not is_office(members):
            return Answer(
                "達成状況一覧の出力は事務局だけが使えます。必要なときは事務局に依頼してください。"
            )
        if open_round(session, runtime, purpose=VIEW) is None:
            return Answer(NO_OPEN_ROUND)
    return Answer("達成状況一覧（XLSX）を作成しています。できあがったらここに投稿します。")


COMMANDS: dict[str, Handler] = {
    "help": _help,
    "ヘルプ": _help,
    "link": _link,
    "リンク": _link,
    "status": _status,
    "状況": _status,
    "pending": _pending,
    "未回答": _pending,
    "report": _report,
    "報告": _report,
    "回答": _report,
    "export": _export,
    "出力": _export,
}
EXPORT_COMMANDS = {"export", "出力"}
REPORT_COMMANDS = {"report", "報告", "回答"}


def parse(body: dict[str, Any]) -> tuple[str, Invocation]:
    head, _, rest = fold(payloads.optional_text(body, "text")).strip().partition(" ")
    return head.lower(), Invocation(
        user_id=payloads.text(body, "user_id"),
        channel_id=payloads.optional_text(body, "channel_id"),
        trigger_id=payloads.optional_text(body, "trigger_id"),
        argument=rest.strip(),
    )


def register(app: App, runtime: Runtime) -> None:
    def answer(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Quick sub-commands answer in the ack, after their work is committed."""
        name, call = parse(body)
        handler = COMMANDS.get(name or "help")
        if handler is None:
            ack(text=f"「{name[:40]}」は分かりません。\n{SLASH_HELP}", response_type="ephemeral")
            return
        if name in REPORT_COMMANDS:
            ack()  # the modal opens from the lazy listener, within the trigger's 3 seconds
            return
        result = handler(runtime, client, call)
        assert result is not None  # only `report` answers later
        ack(text=result.text, blocks=result.blocks, response_type="ephemeral")

    def report_later(body: dict[str, Any], client: WebClient) -> None:
        """Lazy listener: open the answer form (or say why not) right after the ack."""
        name, call = parse(body)
        if name not in REPORT_COMMANDS:
            return
        result = _report(runtime, client, call)
        if result is not None:
            client.chat_postEphemeral(
                channel=call.channel_id, user=call.user_id, text=result.text, blocks=result.blocks
            )

    def export_later(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Lazy listener: runs after the ack, so building the XLSX may take its time."""
        name, call = parse(body)
        if name not in EXPORT_COMMANDS:
            return
        with transaction(runtime.reader) as session:
            if not is_office(caller_memberships(session, call.user_id)):
                return
            rnd = open_round(session, runtime, purpose=VIEW)
            if rnd is None:
                return
            document = exporting.build(session, round_id=rnd.id)
        try:
            client.files_upload_v2(
                channel=call.channel_id,
                filename=document.filename,
                content=document.content,
                title=document.title,
                initial_comment=f"{document.title} を出力しました。",
            )
        except SlackApiError as exc:
            respond(
                text=f"ファイルを投稿できませんでした（{exc.response.get('error')}）。"
                "ボットをこのチャンネルに招待するか、ボットとのDMで実行してください。",
                response_type="ephemeral",
            )

    app.command("/hokoku")(ack=answer, lazy=[report_later, export_later])
