"""published charts: chart images served at unguessable, expiring URLs (LINE image messages)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "published_charts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_published_charts_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_charts")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_published_charts_token_hash")),
    )
    with op.batch_alter_table("published_charts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_published_charts_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_published_charts_round_id"), ["round_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("published_charts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_charts_round_id"))
        batch_op.drop_index(batch_op.f("ix_published_charts_expires_at"))
    op.drop_table("published_charts")
