"""The answer modal's use of the database: open page 0, turn pages, store the submission.

Listeners translate payloads into these calls; Block Kit comes from bot.slack.blocks and
paging rules from bot.slack.answer_form. A page submission is one transaction that reads
the department's slots once: validate, then save the draft and build the next page, or
store every answer of the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.slack import answer_form, blocks, ids, payloads
from bot.slack.answer_form import DRAFT_KIND, Entry, FormMeta
from bot.slack.context import caller_memberships, may_answer_for
from handlers.conversation import recall, remember
from handlers.dedupe import claim_event
from handlers.errors import NotFound, PermissionDenied, RoundClosed
from handlers.fiscal import reiwa_label
from handlers.replies import render_outcomes, render_pending
from handlers.reports import (
    AnswerInput,
    SlotView,
    SubmitOutcome,
    department_slots,
    slot_count,
    slot_states,
    submit_answers,
)
from handlers.scale import GradeScale
from models import Department, Plan, Round


def form_meta(raw: str) -> FormMeta:
    """The modal's private_metadata, or MalformedPayload (it is ours, but arrives from outside)."""
    try:
        return FormMeta.load(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise payloads.MalformedPayload(f"private_metadata: {exc}") from None


def _round_and_department(session: Session, meta: FormMeta) -> tuple[Round, Department]:
    row = session.execute(
        select(Round, Department)
        .join(Plan, Plan.id == Round.plan_id)
        .join(Department, Department.organization_id == Plan.organization_id)
        .where(Round.id == meta.round_id, Department.id == meta.department_id)
    ).first()
    if row is None:
        raise NotFound("この報告の回または担当課が見つかりません。事務局に確認してください。")
    return row[0], row[1]


def check_access(session: Session, *, user_id: str, meta: FormMeta) -> tuple[Round, Department]:
    """The round is open and the caller may answer for the department (or is the office)."""
    rnd, department = _round_and_department(session, meta)
    if not may_answer_for(caller_memberships(session, user_id), department.id):
        raise PermissionDenied(
            f"{department.name}の項目には回答できません（登録されている担当課のボタンを使ってください）。"
        )
    if rnd.is_closed:
        raise RoundClosed(
            f"{reiwa_label(rnd.fiscal_year)}の報告は締め切られました。修正は事務局へ連絡してください。"
        )
    return rnd, department


def _page_view(
    rnd: Round,
    department: Department,
    slots: list[SlotView],
    *,
    meta: FormMeta,
    values: dict[int, Entry],
) -> dict[str, Any]:
    pages = answer_form.page_count(len(slots))
    page = min(max(meta.page, 0), pages - 1)
    return blocks.answer_modal(
        blocks.AnswerPage(
            round_label=reiwa_label(rnd.fiscal_year),
            department_name=department.name,
            deadline_text=f"{rnd.deadline:%Y年%-m月%-d日}",
            scale=GradeScale.from_json(rnd.scale),
            slots=slots[answer_form.page_range(page)],
            values=values,
            page=page,
            pages=pages,
            total_items=len(slots),
            private_metadata=FormMeta(meta.round_id, meta.department_id, page, meta.channel).dump(),
        )
    )


def build_page(session: Session, *, meta: FormMeta, values: dict[int, Entry]) -> dict[str, Any]:
    """The modal view for `meta.page`, prefilled from the draft, else the stored answers."""
    rnd, department = _round_and_department(session, meta)
    slots = department_slots(session, round_id=rnd.id, department_id=department.id)
    return _page_view(rnd, department, slots, meta=meta, values=values)


def load_draft(session: Session, *, view_id: str, user_id: str) -> dict[int, Entry]:
    data = recall(session, platform=ids.PLATFORM, chat_id=view_id, user_id=user_id, kind=DRAFT_KIND)
    return answer_form.load_entries(data)


def save_draft(
    session: Session, *, view_id: str, user_id: str, values: dict[int, Entry]
) -> dict[int, Entry]:
    """Merge this page's values into the draft; returns the whole draft."""
    merged = {**load_draft(session, view_id=view_id, user_id=user_id), **values}
    remember(
        session,
        ttl=ids.STATE_TTL,
        platform=ids.PLATFORM,
        chat_id=view_id,
        user_id=user_id,
        kind=DRAFT_KIND,
        data={"answers": answer_form.dump_entries(merged)},
    )
    return merged


@dataclass(frozen=True)
class Stored:
    """What a final submission did, for the confirmation DM."""

    duplicate: bool
    outcomes: tuple[SubmitOutcome, ...]
    remaining: str
    department_name: str
    round_label: str


@dataclass(frozen=True)
class PageResult:
    """The answer to one page's submit: errors, the next page, or what was stored."""

    errors: dict[str, str] | None = None
    next_view: dict[str, Any] | None = None
    stored: Stored | None = None


def submit_page(
    session: Session,
    *,
    user_id: str,
    view_id: str,
    view_hash: str,
    meta: FormMeta,
    values: dict[int, Entry],
) -> PageResult:
    """Validate the submitted page; then turn to the next page or store the whole form."""
    rnd, department = check_access(session, user_id=user_id, meta=meta)
    errors = answer_form.validate(values, scale=GradeScale.from_json(rnd.scale))
    if errors:
        return PageResult(errors=errors)
    count = slot_count(session, round_id=rnd.id, department_id=department.id)
    if meta.page < answer_form.page_count(count) - 1:
        draft = save_draft(session, view_id=view_id, user_id=user_id, values=values)
        slots = department_slots(session, round_id=rnd.id, department_id=department.id)
        nxt = FormMeta(meta.round_id, meta.department_id, meta.page + 1, meta.channel)
        return PageResult(next_view=_page_view(rnd, department, slots, meta=nxt, values=draft))
    return PageResult(
        stored=_store(
            session,
            rnd=rnd,
            department=department,
            user_id=user_id,
            view_id=view_id,
            view_hash=view_hash,
            values=values,
        )
    )


def _store(
    session: Session,
    *,
    rnd: Round,
    department: Department,
    user_id: str,
    view_id: str,
    view_hash: str,
    values: dict[int, Entry],
) -> Stored:
    """Store every graded item of the draft + last page, all or nothing, once per submission."""
    label = reiwa_label(rnd.fiscal_year)
    if not claim_event(session, platform=ids.PLATFORM, event_key=f"view:{view_id}:{view_hash}"):
        return Stored(True, (), "", department.name, label)
    # The draft (keyed by this view) is left to expire: housekeeping prunes it.
    merged = {**load_draft(session, view_id=view_id, user_id=user_id), **values}
    answers = [
        AnswerInput(number, grade, comment, source_key=f"slack:view:{view_id}:{number}")
        for number, (grade, comment) in sorted(merged.items())
        if grade is not None
    ]
    if not answers:
        remaining = render_pending(
            slot_states(session, round_id=rnd.id, department_id=department.id),
            department_name=department.name,
        )
        return Stored(False, (), remaining, department.name, label)
    result = submit_answers(
        session,
        round_id=rnd.id,
        department_id=department.id,
        answers=answers,
        reporter=user_id,
        channel=ids.PLATFORM,
    )
    remaining = render_pending(result.slots, department_name=department.name)
    return Stored(False, result.outcomes, remaining, department.name, label)


def confirmation_text(stored: Stored) -> str:
    if not stored.outcomes:
        head = f"{stored.round_label} {stored.department_name}: 達成度が選ばれた項目がなかったため、何も保存していません。"
        return f"{head}\n\n{stored.remaining}"
    return (
        f"{stored.round_label} {stored.department_name}の報告を受け付けました（{len(stored.outcomes)}件）。\n"
        f"{render_outcomes(stored.outcomes)}\n\n{stored.remaining}"
    )
