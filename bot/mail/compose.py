"""An outbound message as an e-mail: a text part and an HTML part of the same lines.

The lines are the renderers' (handlers.renderers.render_mail: the chat's texts in the
reader's language, the first line a heading, indented lines a list); this module only lays
them out. Every text in the HTML part is escaped: department and plan names are what the
office typed. Subject and body are UTF-8 (the subject RFC 2047-encoded by the email
package; no ISO-2022-JP).

The Message-ID is derived from the outbox's purpose key, so a message sent again after the
sender died between the server's 250 and the outbox's commit carries the same id: mail
systems that drop a second copy of an id (Exchange, Gmail) deliver it once, and a person
who sees both can tell they are one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from html import escape
from zoneinfo import ZoneInfo

from handlers.i18n import Translator
from handlers.ports import OfficeDigest, OutboundMessage, RoundRequest, Target, TextMessage
from handlers.renderers import MAIL_INDENT, AnswerLink, mail_subject, render_mail

_STYLE_BODY = (
    "font-family: 'BIZ UDPGothic', 'Meiryo', 'Yu Gothic', sans-serif; "
    "font-size: 15px; line-height: 1.6; color: #1a1a1a"
)
_STYLE_BUTTON = (
    "display: inline-block; padding: 8px 16px; background: #1d4ed8; color: #ffffff; "
    "text-decoration: none; border-radius: 4px"
)
_STYLE_FOOTER = "color: #555555; font-size: 13px"


def _anchor(message: OutboundMessage) -> str:
    """What a message is about, beside its key: an id stays unique across databases (a key
    like `r1:i2:request` repeats in a new installation; the year, plan and department
    with it do not, unless it is the same ask again)."""
    if isinstance(message, RoundRequest):
        return "|".join(
            (
                message.purpose,
                str(message.fiscal_year),
                message.plan_title,
                message.department_name,
                message.deadline.isoformat(),
            )
        )
    if isinstance(message, OfficeDigest):
        return f"digest|{message.fiscal_year}|{message.plan_title}|{message.deadline}"
    assert isinstance(message, TextMessage)
    params = sorted((k, str(v)) for k, v in message.message.params.items())
    return f"{message.message.id}|{params}"


def message_id(*, key: str, message: OutboundMessage, to: str, sender: str) -> str:
    """`<digest.hokoku@sender's domain>`: the same for every send of one outbox row."""
    domain = sender.rpartition("@")[2] or "hokoku.invalid"
    digest = hashlib.sha256(f"{sender}\n{to}\n{key}\n{_anchor(message)}".encode()).hexdigest()
    return f"<{digest[:40]}.hokoku@{domain}>"


def _paragraph(text: str, *, link: AnswerLink | None, t: Translator) -> str:
    if link is not None and text == link.url:
        url = escape(link.url)
        return (
            f'<p><a href="{url}" style="{_STYLE_BUTTON}">{escape(t("mail.answer.open"))}</a></p>'
            f'<p><a href="{url}">{url}</a></p>'
        )
    return f"<p>{escape(text)}</p>"


def html_part(t: Translator, lines: list[str], *, link: AnswerLink | None) -> str:
    """The lines as an HTML document: heading, paragraphs, lists, a footer; all escaped."""
    footer_at = len(lines) - 1 - lines[::-1].index("") if "" in lines else len(lines)
    body = [f'<h1 style="font-size: 18px">{escape(lines[0])}</h1>'] if lines else []
    listing = False
    for line in lines[1:footer_at]:
        if line.startswith(MAIL_INDENT):
            if not listing:
                body.append("<ul>")
                listing = True
            body.append(f"<li>{escape(line.strip())}</li>")
            continue
        if listing:
            body.append("</ul>")
            listing = False
        if line:
            body.append(_paragraph(line, link=link, t=t))
    if listing:
        body.append("</ul>")
    body += [f'<p style="{_STYLE_FOOTER}">{escape(line)}</p>' for line in lines[footer_at + 1 :]]
    title = escape(lines[0]) if lines else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{t.language}">\n<head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n"
        f'<body style="{_STYLE_BODY}">\n' + "\n".join(body) + "\n</body>\n</html>\n"
    )


def compose(
    t: Translator,
    message: OutboundMessage,
    *,
    target: Target,
    key: str,
    sender: str,
    reply_to: str | None = None,
    link: AnswerLink | None = None,
    timezone: str = "Asia/Tokyo",
    now: datetime | None = None,
) -> EmailMessage:
    """The e-mail of one outbound message to one address, in `t`'s language."""
    lines = render_mail(t, message, link=link)
    mail = EmailMessage()
    mail["Subject"] = mail_subject(t, message)
    mail["From"] = sender
    mail["To"] = target.external_id
    if reply_to:
        mail["Reply-To"] = reply_to
    mail["Date"] = format_datetime(now or datetime.now(ZoneInfo(timezone)))
    mail["Message-ID"] = message_id(
        key=key,
        message=message,
        to=target.external_id,
        sender=getaddresses([sender])[0][1],
    )
    # RFC 3834: no out-of-office replies to a machine's mail.
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content("\n".join(lines) + "\n", charset="utf-8")
    mail.add_alternative(html_part(t, lines, link=link), subtype="html", charset="utf-8")
    mail["Content-Language"] = t.language  # after the parts: set_content clears Content-*
    return mail
