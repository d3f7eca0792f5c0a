"""office year: department readings and former names, plan titles, (再掲) items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "department_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_department_aliases_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_department_aliases_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_aliases")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_department_aliases_organization_id_name")
        ),
    )
    op.create_index(
        op.f("ix_department_aliases_department_id"),
        "department_aliases",
        ["department_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_department_aliases_organization_id"),
        "department_aliases",
        ["organization_id"],
        unique=False,
    )
    # Plain ADD COLUMN: on SQLite a batch (copy-and-move) of `items` would drop the old table
    # with foreign keys on, and its ON DELETE CASCADE would empty `assignments`. SQLite accepts
    # a REFERENCES clause on ADD COLUMN when the default is NULL (reflected without a name,
    # which autogenerate comparison accepts; no ON DELETE action, which it would not parse).
    op.add_column("departments", sa.Column("reading", sa.String(length=200), nullable=True))
    op.add_column(
        "plans", sa.Column("title", sa.String(length=500), server_default="", nullable=False)
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE items ADD COLUMN repost_of_id INTEGER "
            "CONSTRAINT fk_items_repost_of_id_items REFERENCES items (id)"
        )
    else:
        op.add_column("items", sa.Column("repost_of_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_items_repost_of_id_items"),
            "items",
            "items",
            ["repost_of_id"],
            ["id"],
        )
    op.create_index(op.f("ix_items_repost_of_id"), "items", ["repost_of_id"], unique=False)


def downgrade() -> None:
    # Native DROP COLUMN (SQLite >= 3.35), never a batch copy: see upgrade().
    op.drop_index(op.f("ix_items_repost_of_id"), table_name="items")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_items_repost_of_id_items"), "items", type_="foreignkey")
    op.drop_column("items", "repost_of_id")
    op.drop_column("plans", "title")
    op.drop_column("departments", "reading")
    op.drop_index(op.f("ix_department_aliases_organization_id"), table_name="department_aliases")
    op.drop_index(op.f("ix_department_aliases_department_id"), table_name="department_aliases")
    op.drop_table("department_aliases")
