"""What the office hands to its committee besides the grades: indicators and evaluations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.plan import Department


class Indicator(Base):
    """A numeric target of the plan (指標・目標値): e.g. 認知度 59.1% (2016) → 80% (2027)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    # As the plan writes it ("16", "1-2"); what people type in chat (`指標 16 62.3`).
    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(20), default="")
    baseline_year: Mapped[int | None] = mapped_column(default=None)
    baseline_value: Mapped[float | None] = mapped_column(default=None)
    target_year: Mapped[int | None] = mapped_column(default=None)
    target_value: Mapped[float]
    # The department that reports the value; None = the office enters it.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), default=None, index=True
    )
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    department: Mapped[Department | None] = relationship()


class IndicatorValue(Base):
    """The current value of one indicator in one round; every change is a revision."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("round_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicators.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[float]
    revision: Mapped[int] = mapped_column(default=0)
    reporter: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20), default="")
    # Who reported: the owning department, or None for the office.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)

    revisions: Mapped[list[IndicatorValueRevision]] = relationship(
        back_populates="current",
        order_by="IndicatorValueRevision.revision",
        cascade="all, delete-orphan",
    )


class IndicatorValueRevision(Base):
    """Every value ever reported; `source_key` dedupes redelivered chat events."""

    __tablename__ = "indicator_value_revisions"
    __table_args__ = (UniqueConstraint("value_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    value_id: Mapped[int] = mapped_column(
        ForeignKey("indicator_values.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    value: Mapped[float]
    reporter: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    current: Mapped[IndicatorValue] = relationship(back_populates="revisions")


class Evaluation(Base):
    """The committee's evaluation (二次評価) of one 施策/課題 in one round.

    The node is named by its path key (codes, else titles, top first), not by its row id:
    a plan re-import rebuilds the node rows, and an evaluation must survive that.
    """

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("round_id", "node_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    node_key: Mapped[str] = mapped_column(String(500))
    # The node's path as shown when the evaluation was entered (kept if the node disappears).
    node_label: Mapped[str] = mapped_column(Text, default="")
    grade: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    proposal: Mapped[str] = mapped_column(Text, default="")  # 提言
    evaluator: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublishedChart(Base):
    """A chart image served at an unguessable, expiring URL (`GET /charts/{token}.png`), so
    that LINE, whose image messages carry only an HTTPS URL, can fetch it.

    The PNG is stored as it was when published (the message shows the state it was sent
    with) and found by the SHA-256 of its token, so a copy of the database holds no usable
    URL; every server process reads the same row. Expired rows are pruned hourly.
    """

    __tablename__ = "published_charts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
