"""The notification outbox: enqueue once, claim exclusively, send, mark sent.

Guarantees (see docs/operations.md, "Messages: planned once, sent once"):
- Enqueue is insert-if-absent on the unique key (round, target identity, purpose, due
  day), so any number of ticks or processes plan the same message into one row.
- Claim is one atomic UPDATE of rows that are pending and due (or claimed by a worker
  whose lease ran out). On PostgreSQL the candidate rows are picked with
  `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent schedulers never wait on or share a
  row; on SQLite (one writer at a time) the UPDATE itself is the lock. The UPDATE returns
  the ids it tagged with the claimer's one-time token.
- The send happens outside any transaction; marking sent requires the claim token still
  to be ours. A worker that dies between the platform accepting the message and the
  commit of `sent` leaves a claimed row; after LEASE it is claimed again and re-sent with
  the same key. That is the at-least-once window: the Messenger turns the key into the
  platform's idempotency mechanism (LINE `X-Line-Retry-Key`; Slack: look for the key in
  the message metadata of the target's recent history before posting) so the second send
  is not delivered twice.
- Rows whose target is on a platform this scheduler has no Messenger for are held as
  `unconfigured` (scheduler.unconfigured): never dropped, never retried, sent by the first
  scheduler that has the platform.

Every function takes the Session it works in (the caller owns the transaction and the
thread), except `claim`, which is its own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from handlers.i18n import Message, literal
from handlers.ports import (
    PURPOSE_DIGEST,
    PURPOSE_FAILURE,
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
    STATUS_UNCONFIGURED,
)
from scheduler.due import DueSend, notification_key, office_identities
from scheduler.messages import office_digest, round_requests
from scheduler.schedule import ASK_FAMILY

LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 8
CLAIM_BATCH = 200  # default for direct callers; the dispatcher sizes batches to its workers
ENQUEUE_CHUNK = 500  # rows per INSERT (SQLite allows 32,766 bound parameters)
WAITING = (STATUS_PENDING, STATUS_UNCONFIGURED)  # not sent yet, not in anyone's hands


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
    platform: str,
    department_id: int | None,
    purpose: str,
    due_at: datetime,
    payload: dict[str, object],
    now: datetime,
    status: str = STATUS_PENDING,
) -> bool:
    """Insert the row unless its key exists (any status). True when this call inserted it."""
    values: dict[str, object] = {
        "key": key,
        "round_id": round_id,
        "identity_id": identity_id,
        "platform": platform,
        "department_id": department_id,
        "purpose": purpose,
        "due_at": due_at,
        "status": status,
        "attempts": 0,
        "payload": payload,
        "created_at": now,
    }
    return _insert_ignoring_duplicates(session, values)


def _family(purpose: str) -> list[str]:
    return list(ASK_FAMILY) if purpose in ASK_FAMILY else [purpose]


def supersede(session: Session, *, sends: Sequence[DueSend]) -> int:
    """Older waiting rows of these sends' (round, target, family) are skipped: no backlog.

    `sends` share round, purpose and due time (one UPDATE).
    """
    first = sends[0]
    result = session.execute(
        update(Notification)
        .where(
            Notification.round_id == first.round_id,
            Notification.identity_id.in_([s.identity_id for s in sends]),
            Notification.purpose.in_(_family(first.purpose)),
            Notification.status.in_(WAITING),
            Notification.due_at < first.due_at,
        )
        .values(
            status=STATUS_SKIPPED,
            last_error=f"superseded by the {first.purpose} due {first.due_at.isoformat()}",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def enqueue(
    session: Session,
    sends: Iterable[DueSend],
    *,
    now: datetime,
    configured: Collection[str] | None = None,
) -> tuple[int, int]:
    """Put due sends into the outbox: insert-if-absent, then supersede older waiting rows.

    Rows go in sorted by key (concurrent ticks lock in one order), ENQUEUE_CHUNK per
    statement; superseding is one UPDATE per (round, purpose, due time) and chunk. With
    `configured`, rows for targets on any other platform are inserted held
    (`unconfigured`). Returns (inserted, superseded).
    """
    ordered = sorted(sends, key=lambda s: s.key)
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = Notification.metadata.tables[Notification.__tablename__]
    inserted: list[DueSend] = []
    for start in range(0, len(ordered), ENQUEUE_CHUNK):
        chunk = ordered[start : start + ENQUEUE_CHUNK]
        rows = [
            {
                "key": send.key,
                "round_id": send.round_id,
                "identity_id": send.identity_id,
                "platform": send.target.platform,
                "department_id": send.department_id,
                "purpose": send.purpose,
                "due_at": send.due_at,
                "status": (
                    STATUS_UNCONFIGURED
                    if configured is not None and send.target.platform not in configured
                    else STATUS_PENDING
                ),
                "attempts": 0,
                "payload": {"items": list(send.items), "day": send.day.isoformat()},
                "created_at": now,
            }
            for send in chunk
        ]
        new = set(
            session.scalars(  # executemany with RETURNING: SQLAlchemy's "insertmanyvalues"
                dialect_insert(table)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(table.c.key),
                rows,
            )
        )
        inserted += [send for send in chunk if send.key in new]
    groups: dict[tuple[int, str, datetime], list[DueSend]] = {}
    for send in inserted:
        groups.setdefault((send.round_id, send.purpose, send.due_at), []).append(send)
    superseded = sum(
        supersede(session, sends=group[start : start + ENQUEUE_CHUNK])
        for group in groups.values()
        for start in range(0, len(group), ENQUEUE_CHUNK)
    )
    return len(inserted), superseded


def _claimable(
    now: datetime, lease: timedelta, *, platforms: Iterable[str] | None = None
) -> ColumnElement[bool]:
    """Due and in no one's hands (or in the hands of a worker whose lease ran out).

    With `platforms`, each branch starts with the platform so that both are ranges of the
    claim index (platform, status, due_at). Without, the same test is worded so that no
    index serves it (coalesce() hides the status column): the re-check of rows already
    picked by id, where SQLite would otherwise walk every pending row instead of the ids.
    """
    status: ColumnElement[str] = Notification.__table__.c.status
    on_platform: tuple[ColumnElement[bool], ...] = ()
    if platforms is None:
        status = func.coalesce(Notification.status, "")
    else:
        on_platform = (Notification.platform.in_(list(platforms)),)
    ready = and_(
        *on_platform,
        status.in_(WAITING),
        Notification.due_at <= now,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )
    abandoned = and_(
        *on_platform,
        status == STATUS_CLAIMED,
        Notification.claimed_at < now - lease,
    )
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
    """Claim up to `limit` due rows for `platforms`; returns (claim token, row ids by due time).

    Held (`unconfigured`) rows of these platforms are claimed like pending ones: the
    caller has a Messenger for them now.
    """
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    candidates = (
        select(Notification.id)
        .where(_claimable(now, lease, platforms=platforms))
        .order_by(Notification.due_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
    )
    with transaction(factory) as session:
        claimed = session.execute(
            update(Notification)
            # The outer re-check keeps the claim exclusive even where the subquery took no lock.
            .where(
                Notification.id.in_(candidates.scalar_subquery()),
                _claimable(now, lease),
            )
            .values(
                status=STATUS_CLAIMED,
                claimed_by=token,
                claimed_at=now,
                attempts=Notification.attempts + 1,
            )
            .returning(Notification.id, Notification.due_at)
            .execution_options(synchronize_session=False)
        ).all()
    return token, [row_id for row_id, _ in sorted(claimed, key=lambda r: (r[1], r[0]))]


@dataclass(frozen=True)
class Claimed:
    """A claimed row ready to go: where, what (None: no longer needed), and its claim."""

    row_id: int
    token: str
    key: str
    attempts: int
    target: Target
    message: OutboundMessage | None

    @property
    def resend(self) -> bool:
        """Claimed before: an earlier sender may have delivered it before dying."""
        return self.attempts > 1


@dataclass(frozen=True)
class ClaimedRow:
    """What building a claimed row's message needs (read as plain columns: no ORM objects)."""

    row_id: int
    round_id: int | None
    purpose: str
    department_id: int | None
    payload: dict[str, object]
    active: bool  # the target identity is still linked


def build_messages(
    session: Session, rows: Sequence[ClaimedRow], *, configured: Collection[str] | None = None
) -> dict[int, OutboundMessage | None]:
    """The message of each claimed row as of now (None: no longer needed).

    A fixed number of queries per round in the batch, whatever the number of rows:
    each department's ask and each digest is built once and shared by all its targets.
    """
    round_ids = {r.round_id for r in rows if r.round_id is not None}
    rounds = (
        {rnd.id: rnd for rnd in session.scalars(select(Round).where(Round.id.in_(round_ids)))}
        if round_ids
        else {}
    )
    live = {
        r.row_id: rounds[r.round_id]
        for r in rows
        if r.round_id in rounds and not rounds[r.round_id].is_closed and r.active
    }
    asks: dict[tuple[int, str], set[int]] = {}
    for r in rows:
        if r.row_id in live and r.purpose in ASK_FAMILY and r.department_id is not None:
            asks.setdefault((live[r.row_id].id, r.purpose), set()).add(r.department_id)
    requests = {
        (round_id, purpose): round_requests(
            session, rnd=rounds[round_id], department_ids=departments, purpose=purpose
        )
        for (round_id, purpose), departments in asks.items()
    }
    digests: dict[tuple[int, bool], OutboundMessage | None] = {}
    messages: dict[int, OutboundMessage | None] = {}
    for r in rows:
        rnd = live.get(r.row_id)
        if r.purpose == PURPOSE_FAILURE:
            messages[r.row_id] = TextMessage(failure_notice(r.payload))
        elif rnd is None:
            messages[r.row_id] = None
        elif r.purpose == PURPOSE_DIGEST:
            day = r.payload.get("day")
            after_deadline = isinstance(day, str) and day > rnd.deadline.isoformat()
            if (rnd.id, after_deadline) not in digests:
                digests[rnd.id, after_deadline] = office_digest(
                    session, rnd=rnd, require_missing=after_deadline, configured=configured
                )
            messages[r.row_id] = digests[rnd.id, after_deadline]
        elif r.department_id is not None:
            messages[r.row_id] = requests.get((rnd.id, r.purpose), {}).get(r.department_id)
        else:
            messages[r.row_id] = None
    return messages


def load_claimed(
    session: Session, *, token: str, ids: Sequence[int], configured: Collection[str] | None
) -> list[Claimed]:
    """The rows of this claim that are still ours, with their messages built."""
    if not ids:
        return []
    found = session.execute(
        select(
            Notification.id,
            Notification.key,
            Notification.attempts,
            Notification.round_id,
            Notification.purpose,
            Notification.department_id,
            Notification.payload,
            ChatIdentity.active,
            ChatIdentity.platform,
            ChatIdentity.external_id,
            ChatIdentity.kind,
            ChatIdentity.workspace,
            ChatIdentity.language,
        )
        .join(ChatIdentity, ChatIdentity.id == Notification.identity_id)
        .where(
            Notification.id.in_(list(ids)),
            Notification.claimed_by == token,
            Notification.status == STATUS_CLAIMED,
        )
        .order_by(Notification.due_at, Notification.id)
    ).all()
    messages = build_messages(
        session,
        [
            ClaimedRow(
                row_id=f.id,
                round_id=f.round_id,
                purpose=f.purpose,
                department_id=f.department_id,
                payload=f.payload,
                active=f.active,
            )
            for f in found
        ],
        configured=configured,
    )
    return [
        Claimed(
            row_id=f.id,
            token=token,
            key=f.key,
            attempts=f.attempts,
            target=Target(
                platform=f.platform,
                external_id=f.external_id,
                kind=f.kind,
                workspace=f.workspace,
                language=f.language,
            ),
            message=messages[f.id],
        )
        for f in found
    ]


def _ours(token: str, ids: Collection[int]) -> tuple[ColumnElement[bool], ...]:
    return (
        Notification.id.in_(list(ids)),
        Notification.claimed_by == token,
        Notification.status == STATUS_CLAIMED,
    )


def mark_sent(session: Session, *, token: str, ids: Collection[int], now: datetime) -> list[str]:
    """Mark rows of this claim sent (one UPDATE); returns the keys that were still ours."""
    if not ids:
        return []
    return list(
        session.scalars(
            update(Notification)
            .where(*_ours(token, ids))
            .values(status=STATUS_SENT, sent_at=now, last_error=None)
            .returning(Notification.key)
            .execution_options(synchronize_session=False)
        )
    )


def mark_skipped(session: Session, *, token: str, ids: Collection[int]) -> int:
    """Rows no longer needed when their turn came (answered meanwhile, round closed …)."""
    if not ids:
        return 0
    result = session.execute(
        update(Notification)
        .where(*_ours(token, ids))
        .values(status=STATUS_SKIPPED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


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


def mark_retry(session: Session, *, item: Claimed, error: str, retry_at: datetime) -> bool:
    """Back to pending, not before `retry_at`; False when the claim was lost meanwhile."""
    result = session.execute(
        update(Notification)
        .where(*_ours(item.token, [item.row_id]))
        .values(
            status=STATUS_PENDING,
            next_attempt_at=retry_at,
            last_error=error,
            claimed_by=None,
            claimed_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(session: Session, *, item: Claimed, error: str, now: datetime) -> tuple[bool, int]:
    """Failed for good, and the office told once; returns (ours, failure notices queued)."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == item.row_id, Notification.claimed_by == item.token)
        .values(status=STATUS_FAILED, last_error=error)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False, 0
    row = session.get_one(Notification, item.row_id)
    return True, report_failure(session, row=row, error=error, now=now)


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
            platform=office.platform,
            department_id=failed.department_id,
            purpose=PURPOSE_FAILURE,
            due_at=now,
            payload={"notice": notice, "failed_identity": failed.id},
            now=now,
        )
    return count
