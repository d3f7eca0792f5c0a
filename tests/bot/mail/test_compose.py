"""An outbound message as an e-mail: the renderers' lines in a text part and an escaped HTML
part, the answer link in both when there is one, and a Message-ID from the purpose key."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import cast

from bot.mail.compose import compose
from bot.mail.messenger import MailMessenger
from handlers.i18n import msg, translator
from handlers.ports import OfficeDigest, PendingItem, RoundRequest, Target, TextMessage
from handlers.renderers import AnswerLink

SENDER = "danjo@city.example.lg.jp"
TO = Target("email", "jinken@city.example.lg.jp", "address")
HOSTILE = "人権課<script>alert(1)</script>"
REQUEST = RoundRequest(
    purpose="reminder",
    round_id=3,
    fiscal_year=2025,
    plan_title='第5次計画 & "改定"',
    deadline=date(2025, 5, 30),
    department_id=7,
    department_name=HOSTILE,
    total_items=30,
    pending=tuple(PendingItem(n, f"取組 {n}", "B" if n == 1 else None) for n in range(1, 26)),
    grades=("A", "B", "C", "D"),
)
LINK = AnswerLink("https://hokoku.example.jp/web/signin/t0ken?x=1&y=2", date(2025, 6, 13))


def sent(mail: EmailMessage) -> EmailMessage:
    """The message as the server receives it (serialized, parsed back)."""
    return cast(EmailMessage, message_from_bytes(mail.as_bytes(), policy=policy.default))


def parts(mail: EmailMessage) -> tuple[str, str]:
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


class Texts(HTMLParser):
    """The texts and links a mail program shows of the HTML part."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append(data.strip())


def read_html(html: str) -> Texts:
    reader = Texts()
    reader.feed(html)
    return reader


def test_a_reminder_with_its_answer_link_in_both_parts() -> None:
    mail = sent(
        compose(
            translator("ja"),
            REQUEST,
            target=TO,
            key="r3:i9:reminder:2025-05-20",
            sender=SENDER,
            link=LINK,
        )
    )
    assert str(mail["Subject"]) == f'令和7年度 第5次計画 & "改定" 報告のリマインド（{HOSTILE}）'
    assert str(mail["Content-Language"]) == "ja"
    text, html = parts(mail)
    lines = text.splitlines()
    assert lines[0] == '令和7年度 第5次計画 & "改定" 報告のリマインド'
    assert "  [1] 取組 1（前年度 B）" in lines and "  [25] 取組 25" in lines  # every item
    assert LINK.url in lines and "2025年6月13日まで有効" in text
    shown = read_html(html)
    assert "script" not in shown.tags  # the department's name is text, not markup
    assert f"{HOSTILE}の皆さま" in shown.texts
    assert shown.links == [LINK.url, LINK.url]  # the button and the address itself
    assert "回答ページを開く" in shown.texts
    assert shown.texts[-1].startswith("このメールは hokoku")
    assert "&amp;" in html and "<script>" not in html


def test_without_a_link_the_mail_says_to_reply() -> None:
    text, html = parts(sent(compose(translator("en"), REQUEST, target=TO, key="k", sender=SENDER)))
    assert "To answer, reply to this e-mail with a grade (A／B／C／D)" in text
    assert read_html(html).links == []


def test_digest_and_notice() -> None:
    digest = OfficeDigest(
        round_id=3,
        fiscal_year=2025,
        plan_title="第5次計画",
        deadline=date(2025, 5, 30),
        total=10,
        submitted=4,
    )
    mail = sent(
        compose(translator("ja"), digest, target=TO, key="r3:i1:digest:2025-05-12", sender=SENDER)
    )
    assert str(mail["Subject"]) == "令和7年度 第5次計画 回答状況（締切 2025年5月30日）"
    text, _ = parts(mail)
    assert "回答 4/10件" in text and "未回答の担当課はありません。" in text
    notice = TextMessage(
        msg(
            "failure.notice.email",
            department="防災課",
            target="email address x@y.jp",
            error="SMTP 550",
        )
    )
    mail = sent(compose(translator("en"), notice, target=TO, key="n", sender=SENDER))
    assert str(mail["Subject"]).startswith("[hokoku] An e-mail to 防災課 could not be delivered")
    assert "hokoku dept email 防災課 ADDRESS" in parts(mail)[0]


def test_the_message_id_follows_the_purpose_key() -> None:
    def message_id(key: str, to: Target = TO) -> str:
        return str(
            compose(translator("ja"), REQUEST, target=to, key=key, sender=SENDER)["Message-ID"]
        )

    first = message_id("r3:i9:reminder:2025-05-20")
    assert first == message_id("r3:i9:reminder:2025-05-20")  # a resend of the same row
    assert first.endswith(".hokoku@city.example.lg.jp>")
    assert first != message_id("r3:i9:reminder:2025-05-21")
    assert first != message_id("r3:i9:reminder:2025-05-20", Target("email", "b@c.jp", "address"))


def test_the_messenger_asks_for_a_link_for_requests_only() -> None:
    asked: list[tuple[str, int, str]] = []

    def links(target: Target, request: RoundRequest, *, key: str) -> AnswerLink:
        asked.append((target.external_id, request.department_id, key))
        return LINK

    class Keep:
        def __init__(self) -> None:
            self.mails: list[EmailMessage] = []

        def deliver(self, mail: EmailMessage) -> None:
            self.mails.append(mail)

    transport = Keep()
    messenger = MailMessenger(transport, sender=SENDER, answer_links=links)
    messenger.send(TO, REQUEST, key="r3:i9:request")
    messenger.send(TO, TextMessage(msg("text", text="x")), key="n")
    assert asked == [(TO.external_id, 7, "r3:i9:request")]
    assert LINK.url in parts(sent(transport.mails[0]))[0]
    assert LINK.url not in parts(sent(transport.mails[1]))[0]
