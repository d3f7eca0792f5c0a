"""Who acts in a Slack payload, and what a Slack surface can show (forms, files, pages)."""

from __future__ import annotations

import dataclasses

from bot.runtime import Runtime
from bot.slack.answer_form import PER_PAGE
from bot.slack.ids import PLATFORM
from handlers.interaction import Actor, Surface
from handlers.interaction.intents import USER

SLASH = "/hokoku "
_SURFACE = Surface(forms=True, files=True, form_page_size=PER_PAGE)
_SLASH_SURFACE = Surface(forms=True, files=True, form_page_size=PER_PAGE, command_prefix=SLASH)


def actor(
    runtime: Runtime,
    *,
    user_id: str,
    channel: str = "",
    chat_kind: str = USER,
    locale: str | None = None,
    slash: bool = False,
) -> Actor:
    """A DM, a slash command or a button is the person; an @mention in a channel is the
    channel (its department answers, whoever types)."""
    return Actor(
        organization_id=runtime.organization_id,
        platform=PLATFORM,
        person=user_id,
        chat_id=user_id if chat_kind == USER else channel,
        chat_kind=chat_kind,
        language=runtime.settings.language,
        locale=locale or None,
        # The web console's sign-in links (`web`) are made under HOKOKU_PUBLIC_URL.
        surface=dataclasses.replace(
            _SLASH_SURFACE if slash else _SURFACE, public_url=runtime.settings.public_url
        ),
    )
