"""Recording an answer (grade + comment) for one slot, and reading a department's slots.

Every adapter (console, Slack, LINE, CLI proxy entry) stores answers through `submit_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput, NotFound, PermissionDenied, RoundClosed
from handlers.fiscal import reiwa_label
from handlers.rounds import previous_join, previous_round
from handlers.scale import GradeScale
from models import Assignment, Department, Item, PlanNode, Report, ReportRevision, Round, utcnow

MAX_COMMENT = 3000

STORED = "stored"  # first answer for the slot
REVISED = "revised"  # a new revision replaced an earlier answer
UNCHANGED = "unchanged"  # same grade and comment as already stored: nothing written
DUPLICATE = "duplicate"  # the same delivery (source_key) was already stored


@dataclass(frozen=True)
class SubmitOutcome:
    status: str
    item_number: int
    item_display: str
    department_name: str
    grade: str
    comment: str
    revision: int


@dataclass(frozen=True)
class SlotView:
    """One item × department slot of a round, as shown in a form or a list."""

    report_id: int
    item_number: int
    item_code: str
    item_title: str
    item_display: str
    path: tuple[str, ...]
    department_id: int
    department_name: str
    grade: str | None
    comment: str
    revision: int
    previous_grade: str | None
    previous_comment: str


def find_slot(
    session: Session, *, round_id: int, department_id: int, item_number: int
) -> tuple[Report, Item] | None:
    """The report slot of item `item_number` × department in this round, or None."""
    row = session.execute(
        select(Report, Item)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(
            Report.round_id == round_id,
            Assignment.department_id == department_id,
            Item.number == item_number,
        )
    ).first()
    return None if row is None else (row[0], row[1])


def submit_answer(
    session: Session,
    *,
    round_id: int,
    department_id: int,
    item_number: int,
    grade: str,
    comment: str | None,
    reporter: str,
    channel: str,
    source_key: str | None = None,
    now: datetime | None = None,
) -> SubmitOutcome:
    """Validate and store one answer; keeps every revision. `comment=None` keeps the old one."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"回 {round_id} が見つかりません。")
    department = session.get(Department, department_id)
    if department is None:
        raise NotFound(f"担当課 {department_id} が見つかりません。")
    if rnd.is_closed:
        raise RoundClosed(
            f"{reiwa_label(rnd.fiscal_year)}の報告は締め切られました。修正は事務局へ連絡してください。"
        )
    scale = GradeScale.from_json(rnd.scale)
    letter = scale.match(grade)
    if letter is None:
        raise InvalidInput(
            f"達成度「{grade}」は使えません。{scale.hint()} のどれかで答えてください。"
        )
    if comment is not None and len(comment.strip()) > MAX_COMMENT:
        raise InvalidInput(
            f"コメントは{MAX_COMMENT}字以内にしてください（いま{len(comment.strip())}字）。"
        )
    found = find_slot(
        session, round_id=round_id, department_id=department_id, item_number=item_number
    )
    if found is None:
        exists = session.scalar(
            select(Item.id).where(Item.plan_id == rnd.plan_id, Item.number == item_number)
        )
        if exists is None:
            raise NotFound(
                f"項目 {item_number} はこの計画にありません。「未回答」で担当項目の番号を確認できます。"
            )
        raise PermissionDenied(
            f"項目 {item_number} は{department.name}の担当ではありません。"
            "「未回答」で担当項目の番号を確認できます。"
        )
    report, item = found
    if source_key is not None:
        seen = session.scalar(select(ReportRevision).where(ReportRevision.source_key == source_key))
        if seen is not None:
            return _outcome(DUPLICATE, report, item, department)
    new_comment = report.comment if comment is None else comment.strip()
    if report.grade == letter and report.comment == new_comment:
        return _outcome(UNCHANGED, report, item, department)
    status = STORED if report.grade is None else REVISED
    when = now or utcnow()
    try:
        with session.begin_nested():
            report.revision += 1
            report.grade = letter
            report.comment = new_comment
            report.reporter = reporter
            report.channel = channel
            report.submitted_at = when
            session.add(
                ReportRevision(
                    report_id=report.id,
                    revision=report.revision,
                    grade=letter,
                    comment=new_comment,
                    reporter=reporter,
                    channel=channel,
                    source_key=source_key,
                    created_at=when,
                )
            )
    except IntegrityError:
        # A concurrent delivery of the same event won the race: it stored the answer.
        session.refresh(report)
        return _outcome(DUPLICATE, report, item, department)
    return _outcome(status, report, item, department)


def _outcome(status: str, report: Report, item: Item, department: Department) -> SubmitOutcome:
    return SubmitOutcome(
        status=status,
        item_number=item.number,
        item_display=item.display,
        department_name=department.name,
        grade=report.grade or "",
        comment=report.comment,
        revision=report.revision,
    )


def node_path(session: Session, node_id: int | None) -> tuple[str, ...]:
    """Hierarchy of an item, top first (`I 人権の尊重`, `I-1★ …`, `(1) …`)."""
    path: list[str] = []
    while node_id is not None:
        node = session.get(PlanNode, node_id)
        if node is None:
            break
        path.append(node.display)
        node_id = node.parent_id
    return tuple(reversed(path))


def department_slots(
    session: Session,
    *,
    round_id: int,
    department_id: int,
    pending_only: bool = False,
    item_number: int | None = None,
) -> list[SlotView]:
    """The department's slots in plan order, with last year's answer when there is one.

    `item_number` narrows it to that one item (a button press needs one slot, not 60).
    """
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"回 {round_id} が見つかりません。")
    before = previous_join(rnd, previous_round(session, rnd=rnd))
    query = before.apply(
        select(Report, Item, Department, before.report)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Department, Department.id == Assignment.department_id)
    )
    query = query.where(
        Report.round_id == round_id, Assignment.department_id == department_id
    ).order_by(Item.position)
    if pending_only:
        query = query.where(Report.grade.is_(None))
    if item_number is not None:
        query = query.where(Item.number == item_number)
    paths: dict[int | None, tuple[str, ...]] = {}
    slots: list[SlotView] = []
    for report, item, dept, last in session.execute(query):
        if item.node_id not in paths:
            paths[item.node_id] = node_path(session, item.node_id)
        slots.append(
            SlotView(
                report_id=report.id,
                item_number=item.number,
                item_code=item.code,
                item_title=item.title,
                item_display=item.display,
                path=paths[item.node_id],
                department_id=dept.id,
                department_name=dept.name,
                grade=report.grade,
                comment=report.comment,
                revision=report.revision,
                previous_grade=last.grade if last else None,
                previous_comment=last.comment if last else "",
            )
        )
    return slots
