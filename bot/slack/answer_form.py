"""The answer modal's Slack side: what its private_metadata carries and how its submitted
state reads. Paging, validation and storing are the interaction layer's (handlers/
interaction/forms.py).

A department with 40 items gets 4 pages of 10 (5 blocks each: well under Slack's
100-block limit of a view).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack import ids, payloads
from handlers.interaction.intents import Entry, FormPage

PER_PAGE = 10


@dataclass(frozen=True)
class FormMeta:
    """What the modal carries in private_metadata (small: ids and the page only)."""

    round_id: int
    department_id: int
    page: int

    def dump(self) -> str:
        return json.dumps({"r": self.round_id, "d": self.department_id, "p": self.page})

    @classmethod
    def load(cls, raw: str) -> FormMeta:
        """Our own metadata, but it arrives from outside: anything else is MalformedPayload."""
        try:
            data = json.loads(raw)
            fields = [data["r"], data["d"], data["p"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise payloads.MalformedPayload(f"private_metadata: {exc}") from None
        return cls(*(payloads.integer(value, what="private_metadata") for value in fields))


def read_values(state_values: Mapping[str, Any]) -> dict[int, Entry]:
    """The (grade, comment) typed for every item on the submitted page."""
    entries: dict[int, list[Any]] = {}
    for block_id, actions in state_values.items():
        parsed = ids.parse_item_block(block_id)
        if parsed is None:
            continue
        field, number = parsed
        entry = entries.setdefault(number, [None, ""])
        if field == "grade":
            entry[0] = (
                payloads.optional_text(actions, ids.ACTION_GRADE, "selected_option", "value")
                or None
            )
        else:
            entry[1] = payloads.optional_text(actions, ids.ACTION_COMMENT, "value")
    return {n: (e[0], e[1]) for n, e in entries.items()}


def submitted_page(
    view: Mapping[str, Any], *, back: bool = False, submit_key: str = ""
) -> FormPage:
    """The page a modal sends (its Submit, or 前のページ with `back`), as the layer's intent."""
    meta = FormMeta.load(payloads.text(view, "private_metadata"))
    return FormPage(
        round_id=meta.round_id,
        department_id=meta.department_id,
        page=meta.page,
        values=read_values(payloads.mapping(view, "state", "values")),
        form_id=payloads.text(view, "id"),
        back=back,
        submit_key=submit_key,
    )
