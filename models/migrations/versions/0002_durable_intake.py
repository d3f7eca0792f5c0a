"""durable intake: invite failures, indexes for pruning

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invite_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_failures")),
    )
    with op.batch_alter_table("invite_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invite_failures_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_invite_failures_sender", ["platform", "sender", "at"], unique=False
        )
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_events_received_at"), ["received_at"], unique=False
        )
    with op.batch_alter_table("conversation_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_states_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_states_expires_at"))
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_events_received_at"))
    with op.batch_alter_table("invite_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_invite_failures_sender")
        batch_op.drop_index(batch_op.f("ix_invite_failures_at"))
    op.drop_table("invite_failures")
