"""A 2,000-line DM of answers: every answer stored in one transaction, a reply that fits.

Measured before: one reply of 54,771 characters (95,474 with errors); Slack refuses text
over 40,000, so the person saw nothing. The fake Web API refuses over-limit messages too.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.slack.limits import MESSAGE_TEXT
from models import ReportRevision
from models.db import transaction
from tests.bot.slack.harness import SlackHarness, seed
from tests.conftest import Db

LINES = 2000


def revisions(db: Db) -> int:
    with transaction(db.factory) as session:
        return session.scalar(select(func.count()).select_from(ReportRevision)) or 0


def reply_text(slack: SlackHarness) -> str:
    """The whole reply: its sections (the fake checked them against Slack's limits)."""
    [reply] = slack.api.of("chat.postMessage")
    assert len(reply.body["text"]) <= MESSAGE_TEXT
    return "\n".join(b["text"]["text"] for b in reply.json_field("blocks"))


def test_two_thousand_answers_in_one_dm_are_all_stored_with_a_summary_reply(
    db: Db, slack: SlackHarness
) -> None:
    seed(
        db,
        items=[(f"取組{n}", ["女性センター"]) for n in range(1, 61)],
        links={"U1": [("女性センター", "member")]},
    )
    text = "\n".join(f"{n % 60 + 1} {'ABCD'[n % 4]} 第{n}回の報告" for n in range(LINES))

    assert slack.dm("U1", text, event_id="EvLong").status_code == 200

    assert revisions(db) == LINES
    body = reply_text(slack)
    assert f"{LINES}件の回答を受け付けました" in body and f"ほか{LINES - 100}件" in body


def test_two_thousand_lines_with_mistakes_store_nothing_and_list_the_first_errors(
    db: Db, slack: SlackHarness
) -> None:
    seed(
        db,
        items=[(f"取組{n}", ["女性センター"]) for n in range(1, 61)],
        links={"U1": [("女性センター", "member")]},
    )
    text = "\n".join(f"{n % 60 + 1} {'Z' if n % 3 == 0 else 'B'} 第{n}回" for n in range(LINES))

    assert slack.dm("U1", text, event_id="EvLongBad").status_code == 200

    assert revisions(db) == 0
    body = reply_text(slack)
    assert "1行目: 達成度「Z」は使えません" in body
    assert "ほか647件の誤りがあります" in body and "何も保存していません" in body


def test_a_comment_of_several_paragraphs_and_bullets_is_kept_whole(
    db: Db, slack: SlackHarness
) -> None:
    seed(db, items=[("広報紙で周知", ["女性センター"])], links={"U1": [("女性センター", "member")]})
    text = "1 B 次のとおり実施した。\n・市広報紙に年4回掲載\n・講座を3回開催\n\n来年度も継続する。"
    slack.dm("U1", text, event_id="EvBullets")
    with transaction(db.factory) as session:
        [comment] = session.scalars(select(ReportRevision.comment)).all()
    assert (
        comment
        == "次のとおり実施した。\n・市広報紙に年4回掲載\n・講座を3回開催\n\n来年度も継続する。"
    )
