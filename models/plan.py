"""The imported action plan: organization, departments, hierarchy, items and who owns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Organization(Base):
    """A municipality (or its office); every plan and department belongs to one."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Department(Base):
    """A responsible department (担当課); shared by every plan of the organization."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name's reading in kana (`じんけんすいしんか`), for 50音 order; None = plan order.
    reading: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DepartmentAlias(Base):
    """A former name of a department (機構改革: renamed or merged into it).

    Lookups and plan re-imports that meet the old name find the department it became.
    """

    __tablename__ = "department_aliases"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department] = relationship()


class Plan(Base):
    """One action plan as imported from the office's table."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # What people read (export header, status): e.g. 西東京市第4次男女平等参画推進計画.
    # Empty = the name. The name stays the short handle typed on the command line.
    title: Mapped[str] = mapped_column(String(500), default="", server_default="")
    source_name: Mapped[str] = mapped_column(String(500), default="")
    # Header texts of the hierarchy columns, top first (e.g. ["基本目標", "課題", "施策"]).
    level_labels: Mapped[list[Any]] = mapped_column(default=list)
    # Header text of the item column (e.g. "事業" or "取組項目").
    item_label: Mapped[str] = mapped_column(String(100), default="取組項目")
    # The plan this one continues (第6次 → 第7次): last year's answers are looked up there.
    predecessor_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), default=None
    )
    # Hierarchy level (1 = top) at which the committee evaluates (施策, 課題 …); None = not set.
    evaluation_level: Mapped[int | None] = mapped_column(default=None)
    # The committee's own grade scale (GradeScale JSON); None = A–D.
    evaluation_scale: Mapped[list[Any] | None] = mapped_column(default=None)
    # Grades counted as "good" in summaries (e.g. ["A", "B"]); None = top half of the scale.
    good_grades: Mapped[list[Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    nodes: Mapped[list[PlanNode]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanNode.position"
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Item.position"
    )

    @property
    def display_title(self) -> str:
        return self.title or self.name


def _circled(ch: str) -> bool:
    return "①" <= ch <= "⑳" or "㉑" <= ch <= "㉟" or "㊱" <= ch <= "㊿"


def join_code(code: str, priority: bool, title: str, spaced: bool | None, *, node: bool) -> str:
    """`code★ title` with the space the source had (`spaced`). Rows stored before the space
    was kept (`spaced` None): none after a circled number, nor after `)` on an item."""
    mark = "★" if priority else ""
    head = f"{code}{mark}"
    if not head or not title:
        return head or title
    if spaced is None:
        spaced = not (_circled(head[-1]) or (not node and head[-1] in ")）"))
    return f"{head}{' ' if spaced else ''}{title}"


class PlanNode(Base):
    """A hierarchy node (基本目標 › 課題 › 施策 …); depth indexes Plan.level_labels."""

    __tablename__ = "plan_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_nodes.id", ondelete="CASCADE"), index=True
    )
    depth: Mapped[int]
    code: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    is_priority: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int]
    # Whether the source put a space between code and title (`(1) 啓発`, `①男女`); None:
    # imported before this was kept (then `join_code` decides by the code's shape).
    code_spaced: Mapped[bool | None] = mapped_column(default=None)

    plan: Mapped[Plan] = relationship(back_populates="nodes")
    parent: Mapped[PlanNode | None] = relationship(remote_side="PlanNode.id")

    @property
    def display(self) -> str:
        """Code and title as the source wrote them (`I-1★ 男女の…`, `①男女…`)."""
        return join_code(self.code, self.is_priority, self.title, self.code_spaced, node=True)


class Item(Base):
    """A plan item (取組項目/事業). `number` is short, unique in the plan, typed in chat."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_nodes.id", ondelete="SET NULL"), index=True
    )
    number: Mapped[int]
    code: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    is_priority: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int]
    code_spaced: Mapped[bool | None] = mapped_column(default=None)  # as PlanNode.code_spaced
    # A (再掲) item: the same 事業 listed again under another 施策. It has no report slots
    # of its own; its departments answer once, on the original, and both rows show it.
    # Cleared by the importer before the original is removed.
    repost_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id"), index=True, default=None
    )
    # The same item in the plan this one continues (set by `plan import --continues`).
    predecessor_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), default=None, index=True
    )

    plan: Mapped[Plan] = relationship(back_populates="items")
    node: Mapped[PlanNode | None] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Assignment.position"
    )

    @property
    def display(self) -> str:
        """Code and title as the source wrote them (`①情報誌パリティの発行と配布`)."""
        return join_code(self.code, self.is_priority, self.title, self.code_spaced, node=False)


class Assignment(Base):
    """Item × department: one report slot per round."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("item_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    item: Mapped[Item] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()
