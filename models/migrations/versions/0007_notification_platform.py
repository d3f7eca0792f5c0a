"""notifications.platform: claims filter the outbox alone

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("platform", sa.String(length=20), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE notifications SET platform = (SELECT chat_identities.platform"
        " FROM chat_identities WHERE chat_identities.id = notifications.identity_id)"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("platform", server_default=None)
        batch_op.create_index(
            "ix_notifications_claim", ["platform", "status", "due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_claim")
        batch_op.drop_column("platform")
