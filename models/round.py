"""A yearly reporting round and the answers (reports) collected in it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.plan import Assignment, Plan


class Round(Base):
    """One fiscal year's progress report of one plan (令和N年度)."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("plan_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    fiscal_year: Mapped[int]
    opens_on: Mapped[date]
    deadline: Mapped[date]
    # The grade scale as data: [{"letter": "A", "label": "計画以上", "band": "100%～"}, …]
    scale: Mapped[list[Any]]
    # Scheduler settings (reminder offsets, chasing interval …); None = defaults.
    schedule: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    plan: Mapped[Plan] = relationship()

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Report(Base):
    """The current answer of one slot (round × item × department); grade None = not yet."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("round_id", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    grade: Mapped[str | None] = mapped_column(String(20), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(default=0)
    reporter: Mapped[str] = mapped_column(String(200), default="")
    # Where the answer came from (slack, line, console, office, import): its source, never a
    # Slack channel id.
    channel: Mapped[str] = mapped_column(String(20), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)

    round: Mapped[Round] = relationship()
    assignment: Mapped[Assignment] = relationship()
    revisions: Mapped[list[ReportRevision]] = relationship(
        back_populates="report", order_by="ReportRevision.revision", cascade="all, delete-orphan"
    )


ANSWERED = "answer"  # a revision that gave an answer
WITHDRAWAL = "withdrawal"  # a revision that took a chat message's answers back


class ReportRevision(Base):
    """Every answer ever given, in order; `source_key` dedupes redelivered chat events.

    `message_key` names the chat message an answer was read from (`slack:D…:1700….000100`,
    `line:5321…`): an edit of that message revises it, an unsend or delete withdraws it.
    A withdrawal is a revision of its own (`kind` WITHDRAWAL, with the slot's state after
    it: the answer before, or none), and the answers it took back keep their row with
    `withdrawn_at` set, so the history shows both. `proxy`: the office entered it for the
    department.
    """

    __tablename__ = "report_revisions"
    __table_args__ = (UniqueConstraint("report_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int]
    grade: Mapped[str | None] = mapped_column(String(20), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    reporter: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20), default="")
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20), default=ANSWERED)
    message_key: Mapped[str | None] = mapped_column(String(200), index=True, default=None)
    proxy: Mapped[bool] = mapped_column(default=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)

    report: Mapped[Report] = relationship(back_populates="revisions")
