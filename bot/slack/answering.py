"""The answer modal's use of the database: open page 0, turn pages, store the submission.

Listeners translate payloads into these calls; Block Kit comes from bot.slack.blocks and
paging rules from bot.slack.answer_form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.slack import answer_form, blocks, ids
from bot.slack.answer_form import DRAFT_KIND, Entry, FormMeta
from bot.slack.context import caller_memberships, may_answer_for
from handlers.conversation import forget, recall, remember
from handlers.dedupe import claim_event
from handlers.errors import NotFound, PermissionDenied, RoundClosed
from handlers.fiscal import reiwa_label
from handlers.replies import render_outcomes, render_pending
from handlers.reports import SubmitOutcome, department_slots, submit_answer
from handlers.scale import GradeScale
from models import Department, Round


def _round_and_department(session: Session, meta: FormMeta) -> tuple[Round, Department]:
    rnd = session.get(Round, meta.round_id)
    department = session.get(Department, meta.department_id)
    if rnd is None or department is None:
        raise NotFound("この報告の回または担当課が見つかりません。事務局に確認してください。")
    return rnd, department


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


def build_page(session: Session, *, meta: FormMeta, values: dict[int, Entry]) -> dict[str, Any]:
    """The modal view for `meta.page`, prefilled from the draft, else the stored answers."""
    rnd, department = _round_and_department(session, meta)
    slots = department_slots(session, round_id=rnd.id, department_id=department.id)
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


def page_count_for(session: Session, meta: FormMeta) -> int:
    slots = department_slots(session, round_id=meta.round_id, department_id=meta.department_id)
    return answer_form.page_count(len(slots))


def scale_of(session: Session, meta: FormMeta) -> GradeScale:
    rnd, _ = _round_and_department(session, meta)
    return GradeScale.from_json(rnd.scale)


@dataclass(frozen=True)
class Stored:
    """What a final submission did, for the confirmation DM."""

    duplicate: bool
    outcomes: tuple[SubmitOutcome, ...]
    remaining: str
    department_name: str
    round_label: str


def store_submission(
    session: Session,
    *,
    runtime: Runtime,
    user_id: str,
    view_id: str,
    view_hash: str,
    meta: FormMeta,
    values: dict[int, Entry],
) -> Stored:
    """Store every graded item of the draft + last page, all or nothing, once per submission."""
    rnd, department = check_access(session, user_id=user_id, meta=meta)
    label = reiwa_label(rnd.fiscal_year)
    if not claim_event(session, platform=ids.PLATFORM, event_key=f"view:{view_id}:{view_hash}"):
        return Stored(True, (), "", department.name, label)
    merged = {**load_draft(session, view_id=view_id, user_id=user_id), **values}
    outcomes: list[SubmitOutcome] = []
    for number, (grade, comment) in sorted(merged.items()):
        if grade is None:
            continue
        outcomes.append(
            submit_answer(
                session,
                round_id=rnd.id,
                department_id=department.id,
                item_number=number,
                grade=grade,
                comment=comment,
                reporter=user_id,
                channel=ids.PLATFORM,
                source_key=f"slack:view:{view_id}:{number}",
            )
        )
    forget(session, platform=ids.PLATFORM, chat_id=view_id, user_id=user_id)
    remaining = render_pending(
        department_slots(session, round_id=rnd.id, department_id=department.id),
        department_name=department.name,
    )
    return Stored(False, tuple(outcomes), remaining, department.name, label)


def confirmation_text(stored: Stored) -> str:
    if not stored.outcomes:
        head = f"{stored.round_label} {stored.department_name}: 達成度が選ばれた項目がなかったため、何も保存していません。"
        return f"{head}\n\n{stored.remaining}"
    return (
        f"{stored.round_label} {stored.department_name}の報告を受け付けました（{len(stored.outcomes)}件）。\n"
        f"{render_outcomes(stored.outcomes)}\n\n{stored.remaining}"
    )
