"""The notification outbox: enqueue once, claim exclusively, send, mark sent.

Guarantees (see README "Scheduler / リマインド"):
- Enqueue is insert-if-absent on the unique key (round, target identity, purpose, due
  day), so any number of ticks or processes plan the same message into one row.
- Claim is one atomic UPDATE of rows that are pending and due (or claimed by a worker
  whose lease ran out). On PostgreSQL the candidate rows are picked with
  `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent schedulers never wait on or share a
  row; on SQLite (one writer at a time) the UPDATE itself is the lock. The claimer then
  reads back the rows carrying its own one-time claim token.
- The send happens outside any transaction; marking sent requires the claim token still
  to be ours. A worker that dies between the platform accepting the message and the
  commit of `sent` leaves a claimed row; after LEASE it is claimed again and re-sent with
  the same key. That is the at-least-once window: the Messenger turns the key into the
  platform's idempotency mechanism (LINE `X-Line-Retry-Key`; Slack: look for the key in
  the message metadata of the target's recent history before posting) so the second send
  is not delivered twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from handlers.i18n import Message, literal
from handlers.ports import (
    PURPOSE_DIGEST,
    PURPOSE_FAILURE,
    DeliveryError,
    Messenger,
    OutboundMessage,
    Target,
    TextMessage,
)
from models import ChatIdentity, Notification, Round
from models.db import transaction
from models.outbox import (
    STATUS_CLAIMED,
    STATUS_FAILED,
    STATUS_PENDING,
    STATUS_SENT,
    STATUS_SKIPPED,
)
from scheduler.due import DueSend, notification_key, office_identities
from scheduler.messages import office_digest, round_request
from scheduler.schedule import ASK_FAMILY

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 8
CLAIM_BATCH = 200


@dataclass
class DeliveryStats:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    lost_claim: int = 0
    keys_sent: list[str] = field(default_factory=list)

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.retried += other.retried
        self.failed += other.failed
        self.lost_claim += other.lost_claim
        self.keys_sent += other.keys_sent


def _insert_ignoring_duplicates(session: Session, values: dict[str, object]) -> bool:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id; True when a row was inserted."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect_insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notification.id)
    )
    return session.execute(stmt).first() is not None


def insert_if_absent(
    session: Session,
    *,
    key: str,
    round_id: int | None,
    identity_id: int,
    department_id: int | None,
    purpose: str,
    due_at: datetime,
    payload: dict[str, object],
    now: datetime,
) -> bool:
    """Insert the row unless its key exists (any status). True when this call inserted it."""
    values: dict[str, object] = {
        "key": key,
        "round_id": round_id,
        "identity_id": identity_id,
        "department_id": department_id,
        "purpose": purpose,
        "due_at": due_at,
        "status": STATUS_PENDING,
        "attempts": 0,
        "payload": payload,
        "created_at": now,
    }
    return _insert_ignoring_duplicates(session, values)


def supersede(session: Session, *, send: DueSend) -> int:
    """Mark older pending rows of the same (round, target, family) skipped: no backlog replay."""
    family = list(ASK_FAMILY) if send.purpose in ASK_FAMILY else [send.purpose]
    result = session.execute(
        update(Notification)
        .where(
            Notification.round_id == send.round_id,
            Notification.identity_id == send.identity_id,
            Notification.purpose.in_(family),
            Notification.status == STATUS_PENDING,
            Notification.due_at < send.due_at,
        )
        .values(status=STATUS_SKIPPED, last_error="superseded by " + send.key)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def enqueue(session: Session, sends: Iterable[DueSend], *, now: datetime) -> tuple[int, int]:
    """Put due sends into the outbox (sorted by key: concurrent ticks lock in one order).

    Returns (inserted, superseded).
    """
    inserted = superseded = 0
    for send in sorted(sends, key=lambda s: s.key):
        if insert_if_absent(
            session,
            key=send.key,
            round_id=send.round_id,
            identity_id=send.identity_id,
            department_id=send.department_id,
            purpose=send.purpose,
            due_at=send.due_at,
            payload={"items": list(send.items), "day": send.day.isoformat()},
            now=now,
        ):
            inserted += 1
            superseded += supersede(session, send=send)
    return inserted, superseded


def _claimable(now: datetime, lease: timedelta) -> object:
    ready = and_(
        Notification.status == STATUS_PENDING,
        Notification.due_at <= now,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )
    abandoned = and_(Notification.status == STATUS_CLAIMED, Notification.claimed_at < now - lease)
    return or_(ready, abandoned)


def claim(
    factory: sessionmaker[Session],
    *,
    worker: str,
    now: datetime,
    platforms: Iterable[str],
    limit: int = CLAIM_BATCH,
    lease: timedelta = LEASE,
) -> tuple[str, list[int]]:
    """Claim up to `limit` due rows for `platforms`; returns (claim token, row ids)."""
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    claimable = _claimable(now, lease)
    with_platform = Notification.identity_id.in_(
        select(ChatIdentity.id).where(ChatIdentity.platform.in_(list(platforms)))
    )
    candidates = (
        select(Notification.id)
        .where(claimable, with_platform)  # type: ignore[arg-type]
        .order_by(Notification.due_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
    )
    with transaction(factory) as session:
        session.execute(
            update(Notification)
            # The outer re-check keeps the claim exclusive even where the subquery took no lock.
            .where(Notification.id.in_(candidates.scalar_subquery()), claimable)  # type: ignore[arg-type]
            .values(
                status=STATUS_CLAIMED,
                claimed_by=token,
                claimed_at=now,
                attempts=Notification.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    with transaction(factory) as session:
        ids = list(
            session.scalars(
                select(Notification.id)
                .where(Notification.claimed_by == token, Notification.status == STATUS_CLAIMED)
                .order_by(Notification.due_at, Notification.id)
            )
        )
    return token, ids


def build_message(session: Session, row: Notification) -> OutboundMessage | None:
    """The message of a claimed row as of now; None when it is no longer needed."""
    if row.purpose == PURPOSE_FAILURE:
        return TextMessage(failure_notice(row.payload))
    rnd = session.get(Round, row.round_id) if row.round_id is not None else None
    if rnd is None or rnd.is_closed or not row.identity.active:
        return None
    if row.purpose == PURPOSE_DIGEST:
        day = row.payload.get("day")
        after_deadline = isinstance(day, str) and day > rnd.deadline.isoformat()
        return office_digest(session, rnd=rnd, require_missing=after_deadline)
    if row.department_id is None:
        return None
    return round_request(session, rnd=rnd, department_id=row.department_id, purpose=row.purpose)


def failure_notice(payload: dict[str, Any]) -> Message:
    """The office's notice of a target that cannot be reached, in the reader's language."""
    if "notice" not in payload:  # a row written before notices were message ids
        return literal(str(payload.get("text", "")))
    return Message("failure.notice", {k: str(v) for k, v in payload["notice"].items()})


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Exponential backoff (30 s, 1 min, 2 min … capped at 1 h), never sooner than Retry-After."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def _finish(
    factory: sessionmaker[Session], *, row_id: int, token: str, values: dict[str, object]
) -> bool:
    """Update a row we still hold; False when the claim was lost (lease expired, re-claimed)."""
    with transaction(factory) as session:
        result = session.execute(
            update(Notification)
            .where(
                Notification.id == row_id,
                Notification.claimed_by == token,
                Notification.status == STATUS_CLAIMED,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def report_failure(session: Session, *, row: Notification, error: str, now: datetime) -> int:
    """Tell every office identity, once per failed target and round, that a target is gone."""
    if row.purpose == PURPOSE_FAILURE or row.round_id is None:
        return 0
    failed = row.identity
    notice = {
        "department": failed.department.name,
        "target": f"{failed.platform} {failed.kind} {failed.external_id}",
        "error": error,
    }
    organization_id = failed.organization_id
    count = 0
    for office in office_identities(session, organization_id=organization_id):
        if office.id == failed.id:
            continue
        key = notification_key(
            round_id=row.round_id,
            identity_id=office.id,
            purpose=PURPOSE_FAILURE,
            day=None,
        )
        count += insert_if_absent(
            session,
            key=f"{key}:i{failed.id}",
            round_id=row.round_id,
            identity_id=office.id,
            department_id=failed.department_id,
            purpose=PURPOSE_FAILURE,
            due_at=now,
            payload={"notice": notice, "failed_identity": failed.id},
            now=now,
        )
    return count


def deliver_one(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    *,
    row_id: int,
    token: str,
    now: datetime,
) -> DeliveryStats:
    stats = DeliveryStats()
    with transaction(factory) as session:
        row = session.get(Notification, row_id)
        if row is None or row.claimed_by != token or row.status != STATUS_CLAIMED:
            stats.lost_claim += 1
            return stats
        message = build_message(session, row)
        identity = row.identity
        target = Target(
            platform=identity.platform,
            external_id=identity.external_id,
            kind=identity.kind,
            workspace=identity.workspace,
            language=identity.language,
        )
        key, attempts = row.key, row.attempts
    if message is None:
        if _finish(factory, row_id=row_id, token=token, values={"status": STATUS_SKIPPED}):
            stats.skipped += 1
        return stats
    messenger = messengers[target.platform]
    try:
        # A row claimed before (attempts > 1) may have been delivered by a sender that died.
        messenger.send(target, message, key=key, resend=attempts > 1)
    except DeliveryError as exc:
        error = str(exc)[:2000]
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            with transaction(factory) as session:
                result = session.execute(
                    update(Notification)
                    .where(Notification.id == row_id, Notification.claimed_by == token)
                    .values(status=STATUS_FAILED, last_error=error)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    row = session.get_one(Notification, row_id)
                    report_failure(session, row=row, error=error, now=now)
                    stats.failed += 1
            log.warning("notification %s failed permanently: %s", key, error)
            return stats
        retry_at = now + backoff(attempts, exc.retry_after)
        if _finish(
            factory,
            row_id=row_id,
            token=token,
            values={
                "status": STATUS_PENDING,
                "next_attempt_at": retry_at,
                "last_error": error,
                "claimed_by": None,
                "claimed_at": None,
            },
        ):
            stats.retried += 1
        log.info("notification %s will be retried at %s: %s", key, retry_at.isoformat(), error)
        return stats
    if _finish(
        factory,
        row_id=row_id,
        token=token,
        values={"status": STATUS_SENT, "sent_at": now, "last_error": None},
    ):
        stats.sent += 1
        stats.keys_sent.append(key)
    else:
        stats.lost_claim += 1
    return stats


def deliver_claimed(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    *,
    token: str,
    ids: list[int],
    now: datetime,
) -> DeliveryStats:
    stats = DeliveryStats()
    for row_id in ids:
        stats.add(deliver_one(factory, messengers, row_id=row_id, token=token, now=now))
    return stats


def deliver_due(
    factory: sessionmaker[Session],
    messengers: Mapping[str, Messenger],
    *,
    worker: str,
    now: datetime,
    lease: timedelta = LEASE,
) -> DeliveryStats:
    """Claim and send batches until nothing due is left for the configured platforms."""
    stats = DeliveryStats()
    if not messengers:
        return stats
    while True:
        token, ids = claim(factory, worker=worker, now=now, platforms=messengers, lease=lease)
        if not ids:
            return stats
        stats.add(deliver_claimed(factory, messengers, token=token, ids=ids, now=now))
