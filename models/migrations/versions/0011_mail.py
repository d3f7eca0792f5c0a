"""mail addresses: the person behind a department's e-mail address (e-mail as a channel)

The addresses themselves are chat identities on the platform `email` (no schema change);
this table holds the name of the person an address belongs to.

Revision ID: 0011
Revises: 0010 (0010_code_spacing, main's head when this was written; a migration that lands
before this one takes 0011's place as its down_revision)
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_addresses",
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["chat_identities.id"],
            name=op.f("fk_mail_addresses_identity_id_chat_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("identity_id", name=op.f("pk_mail_addresses")),
    )


def downgrade() -> None:
    op.drop_table("mail_addresses")
