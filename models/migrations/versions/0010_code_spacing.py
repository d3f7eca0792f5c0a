"""code spacing: whether the source put a space between an item's or node's code and title

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, nullable: rows imported before keep NULL (displayed by the old rule).
    op.add_column("plan_nodes", sa.Column("code_spaced", sa.Boolean(), nullable=True))
    op.add_column("items", sa.Column("code_spaced", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("items", "code_spaced")
    op.drop_column("plan_nodes", "code_spaced")
