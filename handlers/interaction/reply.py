"""What the interaction layer answers: a platform-neutral reply model.

A `Reply` is a list of parts. Each part is data plus message ids, never a finished
sentence: `handlers.interaction.text` renders every part as plain text (the console, LINE
texts, Slack's fallback), and the layout modules (`bot/slack/blocks.py`,
`bot/line/flex.py`) lay out the parts they show richer (choices as buttons, item cards as a
Flex carousel, a form as a Slack modal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from handlers.committee.compare import Comparison
from handlers.committee.indicators import IndicatorOutcome, IndicatorStatus
from handlers.committee.summary_text import SummaryText
from handlers.i18n import DEFAULT_LANGUAGE, Message
from handlers.organization.identities import Membership
from handlers.ports import PendingItem
from handlers.reporting.reports import REVISED, STORED, SlotState, SlotView, SubmitOutcome
from handlers.reporting.status import StatusSummary
from handlers.scale import GradeScale


@dataclass(frozen=True)
class Say:
    """A paragraph from the catalog."""

    message: Message


@dataclass(frozen=True)
class Confirmation:
    """Answers just stored (or found unchanged / already received)."""

    outcomes: tuple[SubmitOutcome, ...]


@dataclass(frozen=True)
class Pending:
    """A department's unanswered items in this round."""

    department_name: str
    slots: tuple[SlotState | SlotView, ...]


@dataclass(frozen=True)
class MissingDepartments:
    """The office's list of departments still owing answers: (name, unanswered)."""

    departments: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Status:
    """Progress of a round: everything (office) or one department."""

    summary: StatusSummary
    office: bool
    department_name: str | None = None


@dataclass(frozen=True)
class Problem:
    line_no: int | None
    message: Message


@dataclass(frozen=True)
class Problems:
    """Why a message was refused; nothing of it was stored. `lines`: lines it had."""

    problems: tuple[Problem, ...]
    lines: int


@dataclass(frozen=True)
class Help:
    """How to answer and which commands there are (their names, from the command table;
    the catalog says how each is typed and what it does)."""

    commands: tuple[str, ...]
    prefix: str
    scale: GradeScale | None


@dataclass(frozen=True)
class Choice:
    """Pick a department. `then`: what choosing does: ANSWER re-runs the message that
    waited for the choice (and remembers it), FORM opens that department's form."""

    prompt: Message
    options: tuple[Membership, ...]
    then: str
    round_id: int = 0


ANSWER = "answer"
FORM = "form"


@dataclass(frozen=True)
class ItemCards:
    """Pending items with a button per grade (LINE's carousel; a 報告する button on Slack)."""

    round_id: int
    department_id: int
    department_name: str
    items: tuple[PendingItem, ...]  # every pending item from here on (the layout pages them)
    grades: tuple[tuple[str, str], ...]  # (letter, label)


@dataclass(frozen=True)
class CommentPrompt:
    """After a grade button: ask for the comment, offering no comment / last year's."""

    round_id: int
    department_id: int
    item: int
    has_previous: bool


@dataclass(frozen=True)
class FormView:
    """One page of a department's answer form."""

    round_id: int
    department_id: int
    fiscal_year: int
    department_name: str
    deadline: date
    scale: GradeScale
    slots: tuple[SlotView, ...]  # this page's slots
    values: Mapping[int, tuple[str | None, str]]  # item → (grade, comment) to prefill
    page: int  # 0-based
    pages: int
    total_items: int


@dataclass(frozen=True)
class FormErrors:
    """A page refused: (field, item number) → why. Field "grade" or "comment"; a problem of
    the whole form has item 0."""

    errors: Mapping[tuple[str, int], Message]


@dataclass(frozen=True)
class ExportFile:
    """The round's 達成状況一覧 is to be built and posted (slow: after the platform's ack)."""

    round_id: int


@dataclass(frozen=True)
class Indicators:
    """Indicators with this round's value, baseline, target and progress (`指標`, the office's
    status). `department_name`: whose they are (None: the whole plan's)."""

    rows: tuple[IndicatorStatus, ...]
    department_name: str | None = None


@dataclass(frozen=True)
class IndicatorReported:
    """An indicator value just stored (or found unchanged / already received)."""

    outcome: IndicatorOutcome


@dataclass(frozen=True)
class YearOverYear:
    """This year beside last year (the office's status): rose / fell / stayed per goal and
    the committee's summary sentences."""

    comparison: Comparison
    summary: SummaryText


@dataclass(frozen=True)
class ChartFile:
    """A chart of the round to be drawn and uploaded as a PNG (Slack's files_upload_v2,
    after the platform's ack). `kind`: completion / grades / yoy."""

    round_id: int
    kind: str


@dataclass(frozen=True)
class ChartPicture:
    """A chart already drawn and published at `url` (HTTPS), shown as an image (LINE)."""

    url: str
    kind: str


@dataclass(frozen=True)
class Change:
    """One slot an edit or a withdrawal changed: its answer before and after (None:
    unanswered). `withdrawn`: a withdrawal took the message's answer back."""

    item_number: int
    item_display: str
    before: str | None
    after: str | None
    comment_changed: bool = False
    withdrawn: bool = False


@dataclass(frozen=True)
class Changes:
    """What an edited or a withdrawn message changed, under a heading saying which."""

    heading: Message
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class SignInLink:
    """A one-time link to the web console (`web`), for one department and role: sent only
    in a 1:1 chat (or a Slack slash command's private reply)."""

    url: str
    department_name: str
    office: bool
    minutes: int


@dataclass(frozen=True)
class HomeSection:
    member: Membership
    slots: tuple[SlotView, ...]


@dataclass(frozen=True)
class Home:
    """A person's overview: their departments' items, or (office) the round's progress."""

    round_id: int
    fiscal_year: int
    plan_title: str
    sections: tuple[HomeSection, ...] = ()
    status: StatusSummary | None = None


Part = (
    Say
    | Confirmation
    | Pending
    | MissingDepartments
    | Status
    | Problems
    | Help
    | Choice
    | ItemCards
    | CommentPrompt
    | FormView
    | FormErrors
    | ExportFile
    | Home
    | Indicators
    | IndicatorReported
    | YearOverYear
    | ChartFile
    | ChartPicture
    | Changes
    | SignInLink
)


@dataclass(frozen=True)
class Reply:
    """The answer to one inbound, in `language`. `stored`: answers written by it (an
    adapter refreshes views that show them); `home_opened`: the chat has opened its Home
    tab, the one such view (a Home never opened is built afresh when it is opened)."""

    parts: tuple[Part, ...] = ()
    language: str = DEFAULT_LANGUAGE
    stored: tuple[SubmitOutcome, ...] = field(default_factory=tuple)
    home_opened: bool = False

    def find(self, kind: type[P]) -> P | None:
        return next((p for p in self.parts if isinstance(p, kind)), None)

    @property
    def answers_moved(self) -> bool:
        """Whether views listing the department's answers (Slack's Home tab) are out of date:
        an answer was stored or revised, or a deleted or edited message took one back."""
        if any(o.status in (STORED, REVISED) for o in self.stored):
            return True
        changes = self.find(Changes)
        return changes is not None and any(c.withdrawn for c in changes.changes)


P = TypeVar("P")
