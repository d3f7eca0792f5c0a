"""What an adapter hands the interaction layer: who acts, where, and what they want.

An adapter turns a platform payload (a Slack event, a LINE webhook event, a console line)
into one `Inbound`: the `Actor` and one intent. Intents are plain values; nothing here
knows a platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.i18n import DEFAULT_LANGUAGE
from handlers.organization.identities import Membership

USER = "user"  # a 1:1 chat; "channel" (Slack), "group" / "room" (LINE) are group chats


@dataclass(frozen=True)
class Surface:
    """What the adapter can show beyond text (the layer chooses the reply's shape by it)."""

    forms: bool = False  # a multi-page answer form (Slack's modal)
    form_page_size: int = 10  # items per form page (what fits the platform's view)
    files: bool = False  # a file in the chat (Slack's files_upload_v2)
    command_prefix: str = ""  # how commands are typed in help texts (`/hokoku ` on Slack)
    # An image shown from an HTTPS URL (LINE's image message): charts are published under
    # `public_url` (HOKOKU_PUBLIC_URL; None: not set) for `image_minutes`.
    images: bool = False
    public_url: str | None = None
    image_minutes: int = 0


@dataclass(frozen=True)
class Actor:
    """Who acts and where.

    `chat_id` is what links belong to: the person in a 1:1 chat, the group or channel in a
    group chat (any member of a linked group answers for its department). `person` is who
    typed: recorded as the reporter, and the owner of conversation state in that chat.
    """

    organization_id: int
    platform: str
    person: str
    chat_id: str
    chat_kind: str = USER
    language: str = DEFAULT_LANGUAGE  # the organization's language (HOKOKU_LANGUAGE)
    locale: str | None = None  # the platform's locale of this person (Slack), if known
    surface: Surface = field(default_factory=Surface)
    # The console pins a session: `--dept` speaks as that department only, `--office`
    # with the office's role, `--round` about that round.
    department_id: int | None = None
    office: bool | None = None
    round_id: int | None = None
    # Who the adapter vouches for without chat links: the web console's signed-in session
    # (one department and role, from its sign-in link). None: the chat's links decide.
    links: tuple[Membership, ...] | None = None

    @property
    def in_group(self) -> bool:
        return self.chat_kind != USER


# --- intents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A typed message: a command, answers (`12 B comment`), or an awaited comment.

    `addressed=False`: group chatter that may not be meant for the bot (LINE groups).
    `commands_only`: a slash command (`/hokoku status`): not an answer.
    `message`: the platform's key of this message (`slack:D…:1700….000100`, `line:5321…`),
    kept with its answers so an edit or unsend finds them; None where a message cannot be
    edited (the console). `attachments`: names of files sent with it (kept as a note).
    The text is plain: the adapter decoded the platform's markup (Slack's escapes, links
    and mentions; LINE's emoji and the bot's mention).
    """

    text: str
    addressed: bool = True
    commands_only: bool = False
    message: str | None = None
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edited:
    """A message was edited (Slack message_changed, LINE messageEdited): read it again.

    `message` is the key its first reading was stored with; `sent_at`: when it was first
    sent, where the platform says (Slack's ts), for the round's close.
    """

    text: str
    message: str
    sent_at: datetime | None = None
    addressed: bool = True
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unsent:
    """A message was taken back (LINE unsend, Slack message_deleted): its answers go."""

    message: str


@dataclass(frozen=True)
class GradeButton:
    """A grade pressed on an item card: stored at once, then the comment is awaited.
    `last_year`: the card showed last year's answer (offer to copy its comment)."""

    round_id: int
    department_id: int
    item: int
    grade: str
    last_year: bool = False


@dataclass(frozen=True)
class CommentShortcut:
    """After a grade: keep no comment, or copy last year's comment."""

    round_id: int
    department_id: int
    item: int
    same_as_last_year: bool


@dataclass(frozen=True)
class MoreItems:
    """The next page of pending item cards, after `after_item`."""

    round_id: int
    department_id: int
    after_item: int


@dataclass(frozen=True)
class ChooseDepartment:
    """The department this person answers for from now on (several links, or the office)."""

    department_id: int


@dataclass(frozen=True)
class OpenForm:
    """Open the answer form of a department (the 報告する button)."""

    round_id: int
    department_id: int


Entry = tuple[str | None, str]  # (grade or None, comment) typed for one item in a form


@dataclass(frozen=True)
class FormPage:
    """A form page submitted (`back=False`: validate, then next page or store everything;
    `back=True`: keep what was typed, show the page before). `form_id` names the form
    instance (its draft), `submit_key` the submission (a retried submit stores nothing twice).
    """

    round_id: int
    department_id: int
    page: int
    values: Mapping[int, Entry]
    form_id: str
    submit_key: str = ""
    back: bool = False


@dataclass(frozen=True)
class ShowHome:
    """The person's overview (Slack's App Home): their items, or the office's progress."""


@dataclass(frozen=True)
class Joined:
    """The bot was added: as a friend (`group=False`) or to a group chat. `unblocked`: a
    friend who had blocked the bot (their links ended at the block)."""

    group: bool = False
    unblocked: bool = False


@dataclass(frozen=True)
class Left:
    """The bot was blocked or removed from the group: the chat's links end (audited)."""


@dataclass(frozen=True)
class NotText:
    """A sticker, image … : only text is understood."""


@dataclass(frozen=True)
class StaleButton:
    """A button whose data cannot be read (old, or not ours)."""


Intent = (
    Text
    | Edited
    | Unsent
    | GradeButton
    | CommentShortcut
    | MoreItems
    | ChooseDepartment
    | OpenForm
    | FormPage
    | ShowHome
    | Joined
    | Left
    | NotText
    | StaleButton
)


@dataclass(frozen=True)
class Inbound:
    """One thing that happened in a chat. `delivery` is the platform's id of the delivery
    (claimed once: a redelivery does nothing); `now`/`today` in the office's time zone."""

    actor: Actor
    intent: Intent
    now: datetime
    today: date
    delivery: str | None = None
