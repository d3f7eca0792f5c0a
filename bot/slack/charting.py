"""A chart the interaction layer asked for (`ChartFile`), drawn after the ack and uploaded
with files_upload_v2 (files.getUploadURLExternal, the upload, files.completeUploadExternal).

Called after the ack only, with a reply that was committed once: a redelivered
event or command has no reply (its delivery was already claimed), so nothing is uploaded
twice.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from handlers.export.charts import render_chart
from handlers.i18n import translator
from handlers.interaction import Reply
from handlers.interaction.commands import CHART_TITLES
from handlers.interaction.reply import ChartFile
from models.db import transaction


def upload_chart(
    runtime: Runtime,
    client: WebClient,
    reply: Reply | None,
    *,
    channel: str | None,
    thread_ts: str | None = None,
) -> str | None:
    """Upload the reply's chart, if it has one, to `channel`. Returns Slack's error code when
    the upload was refused (the caller tells the user), else None."""
    chart = reply.find(ChartFile) if reply is not None else None
    if reply is None or chart is None:
        return None
    t = translator(reply.language)
    with transaction(runtime.reader) as session:
        png = render_chart(
            session,
            round_id=chart.round_id,
            kind=chart.kind,
            today=runtime.today(),
            language=reply.language,
        )
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            filename=f"hokoku-{chart.kind}.png",
            content=png,
            title=t(CHART_TITLES[chart.kind]),
        )
    except SlackApiError as exc:
        return str(exc.response.get("error"))
    return None
