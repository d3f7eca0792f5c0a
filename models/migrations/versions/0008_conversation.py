"""conversation: one state row per kind, the language of a chat identity

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A person may be choosing a department and owe a comment at once: one row per kind.
    # conversation_states has no foreign keys in or out, so SQLite's batch copy is safe.
    with op.batch_alter_table("conversation_states") as batch:
        batch.drop_constraint("uq_conversation_states_platform_chat_id_user_id", type_="unique")
        batch.create_unique_constraint(
            "uq_conversation_states_platform_chat_id_user_id_kind",
            ["platform", "chat_id", "user_id", "kind"],
        )
    # Plain ADD COLUMN (no batch copy of a table other tables reference).
    op.add_column("chat_identities", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("chat_identities", "language")
    op.execute("DELETE FROM conversation_states")  # rows per kind no longer fit the old key
    with op.batch_alter_table("conversation_states") as batch:
        batch.drop_constraint(
            "uq_conversation_states_platform_chat_id_user_id_kind", type_="unique"
        )
        batch.create_unique_constraint(
            "uq_conversation_states_platform_chat_id_user_id",
            ["platform", "chat_id", "user_id"],
        )
