"""機構改革: renaming a department and merging one department into another.

The old name stays as a former name (`department_aliases`), so that lookups, chat users
typing it and next year's plan table still find the department it became. Every change is
audited and happens in the caller's one transaction.

Merging A into B moves A's assignments (with every round's report and its revisions), chat
links, invite codes and outbox rows to B. Where both were assigned to the same item, the
two slots of a round become one: the revisions of both are kept, in time order, and the
latest becomes the current answer (`report history` shows both departments' answers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.errors import InvalidInput
from handlers.i18n import msg
from handlers.normalize import fold, fold_key
from handlers.organization.directory import find_department, lookup_department
from models import (
    ROLE_OFFICE,
    Assignment,
    AuditEntry,
    ChatIdentity,
    ConversationState,
    Department,
    DepartmentAlias,
    InviteCode,
    Notification,
    Report,
)

MAX_NAME = 200


@dataclass(frozen=True)
class RenameOutcome:
    department_id: int
    old_name: str
    new_name: str


@dataclass(frozen=True)
class MergeOutcome:
    department_id: int
    source_name: str
    target_name: str
    moved_assignments: int  # items that moved over to the target as they were
    shared_items: int  # items both were assigned to: their slots were combined
    combined_answers: int  # slots of a round both had answered (latest answer is current)
    moved_links: int


def _check_name(text: str) -> str:
    name = fold(text)
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(msg("department.name_length", limit=MAX_NAME))
    return name


def _add_alias(session: Session, *, department: Department, name: str) -> None:
    existing = session.scalar(
        select(DepartmentAlias).where(
            DepartmentAlias.organization_id == department.organization_id,
            DepartmentAlias.name == name,
        )
    )
    if existing is None:
        session.add(
            DepartmentAlias(
                organization_id=department.organization_id, name=name, department=department
            )
        )
    else:
        existing.department = department


def _drop_alias(session: Session, *, organization_id: int, name: str) -> None:
    key = fold_key(name)
    for alias in session.scalars(
        select(DepartmentAlias).where(DepartmentAlias.organization_id == organization_id)
    ):
        if fold_key(alias.name) == key:
            session.delete(alias)


def rename_department(
    session: Session, *, organization_id: int, old: str, new: str, actor: str
) -> RenameOutcome:
    """OLD is now called NEW; OLD stays findable. NEW must not be another department."""
    department = find_department(session, organization_id=organization_id, name=old)
    new_name = _check_name(new)
    if fold_key(new_name) == fold_key(department.name):
        raise InvalidInput(msg("department.rename_same", name=department.name))
    holder = lookup_department(session, organization_id=organization_id, name=new_name)
    if holder is not None and holder.id != department.id:
        if fold_key(holder.name) == fold_key(new_name):
            raise InvalidInput(
                msg("department.rename_taken", name=holder.name, old=department.name)
            )
        raise InvalidInput(msg("department.rename_former_name", name=new_name, holder=holder.name))
    old_name = department.name
    _drop_alias(session, organization_id=organization_id, name=new_name)  # renaming back
    _add_alias(session, department=department, name=old_name)
    department.name = new_name
    session.add(
        AuditEntry(
            actor=actor,
            action="dept_rename",
            detail={"department_id": department.id, "old": old_name, "new": new_name},
        )
    )
    session.flush()
    return RenameOutcome(department_id=department.id, old_name=old_name, new_name=new_name)


def _combine(session: Session, *, keep: Report, drop: Report) -> bool:
    """Fold `drop`'s revisions into `keep` (time order, latest current); True if both had answers."""
    both = keep.grade is not None and drop.grade is not None
    revisions = sorted(
        [*drop.revisions, *keep.revisions], key=lambda r: (r.created_at, r.report_id == keep.id)
    )
    # Park the numbers first: (report_id, revision) is unique.
    for n, revision in enumerate(revisions, start=1):
        revision.revision = -n
        revision.report_id = keep.id
    session.flush()
    for n, revision in enumerate(revisions, start=1):
        revision.revision = n
    session.expire(drop, ["revisions"])
    session.expire(keep, ["revisions"])
    if revisions:
        latest = revisions[-1]
        keep.revision = len(revisions)
        keep.grade = latest.grade
        keep.comment = latest.comment
        keep.reporter = latest.reporter
        keep.channel = latest.channel
        keep.submitted_at = latest.created_at
    session.delete(drop)
    return both


def _move_links(session: Session, *, source: Department, target: Department) -> int:
    """Re-point A's chat links to B; a person linked to both keeps one row (B's)."""
    theirs = {
        (i.platform, i.workspace, i.external_id): i
        for i in session.scalars(
            select(ChatIdentity).where(ChatIdentity.department_id == target.id)
        )
    }
    moved = 0
    for identity in list(
        session.scalars(select(ChatIdentity).where(ChatIdentity.department_id == source.id))
    ):
        twin = theirs.get((identity.platform, identity.workspace, identity.external_id))
        moved += int(identity.active)
        if twin is None:
            identity.department_id = target.id
            continue
        if identity.active:
            twin.active = True
            twin.unlinked_at = None
            if identity.role == ROLE_OFFICE:
                twin.role = ROLE_OFFICE
        for model, column in (
            (Notification, Notification.identity_id),
            (InviteCode, InviteCode.used_by_id),
        ):
            session.execute(
                update(model)
                .where(column == identity.id)
                .values({column.key: twin.id})
                .execution_options(synchronize_session=False)
            )
        session.flush()
        session.delete(identity)
    return moved


def merge_departments(
    session: Session, *, organization_id: int, source: str, target: str, actor: str
) -> MergeOutcome:
    """A (source) becomes part of B (target): everything of A moves to B; A's name stays."""
    src = find_department(session, organization_id=organization_id, name=source)
    dst = find_department(session, organization_id=organization_id, name=target)
    if src.id == dst.id:
        raise InvalidInput(
            msg("department.merge_same", source=source, target=target, name=dst.name)
        )

    theirs = {
        a.item_id: a
        for a in session.scalars(select(Assignment).where(Assignment.department_id == dst.id))
    }
    moved = shared = combined = 0
    for assignment in list(
        session.scalars(select(Assignment).where(Assignment.department_id == src.id))
    ):
        twin = theirs.get(assignment.item_id)
        if twin is None:
            assignment.department_id = dst.id
            moved += 1
            continue
        shared += 1
        slots: dict[int, list[Report]] = defaultdict(list)
        for report in session.scalars(
            select(Report).where(Report.assignment_id.in_([assignment.id, twin.id]))
        ):
            slots[report.round_id].append(report)
        for reports in slots.values():
            drop = next((r for r in reports if r.assignment_id == assignment.id), None)
            keep = next((r for r in reports if r.assignment_id == twin.id), None)
            if drop is None:
                continue
            if keep is None:
                drop.assignment_id = twin.id
                continue
            combined += _combine(session, keep=keep, drop=drop)
        session.flush()
        session.delete(assignment)
    session.flush()

    links = _move_links(session, source=src, target=dst)
    for model, column in (
        (InviteCode, InviteCode.department_id),
        (Notification, Notification.department_id),
        (DepartmentAlias, DepartmentAlias.department_id),
    ):
        session.execute(
            update(model)
            .where(column == src.id)
            .values({column.key: dst.id})
            .execution_options(synchronize_session=False)
        )
    for state in session.scalars(select(ConversationState)):
        if state.data.get("department_id") == src.id:
            session.delete(state)
    source_name = src.name
    session.flush()
    session.delete(src)
    session.flush()
    _add_alias(session, department=dst, name=source_name)
    session.add(
        AuditEntry(
            actor=actor,
            action="dept_merge",
            detail={
                "source": source_name,
                "target": dst.name,
                "department_id": dst.id,
                "moved_assignments": moved,
                "shared_items": shared,
                "combined_answers": combined,
                "moved_links": links,
            },
        )
    )
    session.flush()
    return MergeOutcome(
        department_id=dst.id,
        source_name=source_name,
        target_name=dst.name,
        moved_assignments=moved,
        shared_items=shared,
        combined_answers=combined,
        moved_links=links,
    )
