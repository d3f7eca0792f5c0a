"""Targets on platforms this installation cannot send on: held in the outbox, and named.

A platform is configured when the scheduler was given a Messenger for it (bot.messengers
builds one for each platform whose settings are present). A message for a target on any
other platform is neither dropped nor retried: its row is held with status
`unconfigured` (no attempt is counted), superseded like a pending row so no backlog piles
up, and claimed by the first scheduler that has the platform, i.e. sent once the platform
is configured (built at that moment, so only what is still missing is asked). Until then
`round notify`, `hokoku remind`, `round schedule`, `hokoku serve` and the office digest
say which departments and targets cannot be reached and what to configure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import distinct, func, or_, select, update
from sqlalchemy.orm import Session

from models import ROLE_OFFICE, Assignment, ChatIdentity, Department, Notification, Report
from models.outbox import STATUS_PENDING, STATUS_UNCONFIGURED


@dataclass(frozen=True)
class Unconfigured:
    """One platform that is not configured, and what it leaves unreachable."""

    platform: str
    count: int  # messages held (outbox) or linked targets (links)
    departments: tuple[str, ...]
    targets: tuple[str, ...]  # "line:user:U…"

    def as_json(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "count": self.count,
            "departments": list(self.departments),
            "targets": list(self.targets),
        }


def _grouped(rows: list[tuple[str, str, str, str, int]]) -> tuple[Unconfigured, ...]:
    """(platform, department, kind, external id, count) rows → one entry per platform."""
    counts: dict[str, int] = defaultdict(int)
    departments: dict[str, dict[str, None]] = defaultdict(dict)
    targets: dict[str, dict[str, None]] = defaultdict(dict)
    for platform, department, kind, external_id, count in rows:
        counts[platform] += count
        departments[platform][department] = None
        targets[platform][f"{platform}:{kind}:{external_id}"] = None
    return tuple(
        Unconfigured(
            platform=platform,
            count=counts[platform],
            departments=tuple(departments[platform]),
            targets=tuple(targets[platform]),
        )
        for platform in sorted(counts)
    )


def hold(session: Session, *, configured: Collection[str]) -> int:
    """Hold pending rows whose platform is not configured here (e.g. its token was removed)."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.status == STATUS_PENDING,
            Notification.platform.not_in(list(configured)),
        )
        .values(status=STATUS_UNCONFIGURED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def held_messages(
    session: Session,
    *,
    configured: Collection[str],
    organization_id: int | None = None,
    round_id: int | None = None,
) -> tuple[Unconfigured, ...]:
    """Messages held for unconfigured platforms, per platform (count = messages)."""
    query = (
        select(
            ChatIdentity.platform,
            Department.name,
            ChatIdentity.kind,
            ChatIdentity.external_id,
            func.count(Notification.id),
        )
        .join(ChatIdentity, ChatIdentity.id == Notification.identity_id)
        .join(Department, Department.id == ChatIdentity.department_id)
        .where(
            Notification.status == STATUS_UNCONFIGURED,
            Notification.platform.not_in(list(configured)),
        )
        .group_by(
            ChatIdentity.platform, Department.name, ChatIdentity.kind, ChatIdentity.external_id
        )
        .order_by(ChatIdentity.platform, Department.name, ChatIdentity.external_id)
    )
    if organization_id is not None:
        query = query.where(ChatIdentity.organization_id == organization_id)
    if round_id is not None:
        query = query.where(Notification.round_id == round_id)
    return _grouped([tuple(row) for row in session.execute(query)])  # type: ignore[misc]


def unconfigured_links(
    session: Session,
    *,
    configured: Collection[str],
    organization_id: int,
    round_id: int | None = None,
) -> tuple[Unconfigured, ...]:
    """Active links on unconfigured platforms, per platform (count = targets).

    With `round_id`: only the targets that round messages, i.e. the identities of its
    departments and the office.
    """
    query = (
        select(
            ChatIdentity.platform,
            Department.name,
            ChatIdentity.kind,
            ChatIdentity.external_id,
            func.count(distinct(ChatIdentity.id)),
        )
        .join(Department, Department.id == ChatIdentity.department_id)
        .where(
            ChatIdentity.organization_id == organization_id,
            ChatIdentity.active.is_(True),
            ChatIdentity.platform.not_in(list(configured)),
        )
        .group_by(
            ChatIdentity.platform, Department.name, ChatIdentity.kind, ChatIdentity.external_id
        )
        .order_by(ChatIdentity.platform, Department.name, ChatIdentity.external_id)
    )
    if round_id is not None:
        in_round = (
            select(Assignment.department_id)
            .join(Report, Report.assignment_id == Assignment.id)
            .where(Report.round_id == round_id)
        )
        query = query.where(
            or_(ChatIdentity.department_id.in_(in_round), ChatIdentity.role == ROLE_OFFICE)
        )
    return _grouped([tuple(row) for row in session.execute(query)])  # type: ignore[misc]
