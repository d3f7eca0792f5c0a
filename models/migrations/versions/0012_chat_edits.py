"""chat edits: revisions know their chat message, withdrawals, proxies; people's names

report_revisions gains `message_key` (the chat message an answer was read from: an edit
revises it, an unsend or delete withdraws it), `kind` (answer / withdrawal),
`withdrawn_at` (an answer taken back) and `proxy` (the office entered it); `grade` may be
NULL (a withdrawal that leaves the slot unanswered). Proxy answers entered with `hokoku
report set` (channel "office", always the office) are marked as such. chat_people caches
the names the platforms give for user ids.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # report_revisions is referenced by no other table, so SQLite's batch copy is safe.
    with op.batch_alter_table("report_revisions", schema=None) as batch_op:
        batch_op.alter_column("grade", existing_type=sa.String(length=20), nullable=True)
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="answer")
        )
        batch_op.add_column(sa.Column("message_key", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("proxy", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE report_revisions SET proxy = true WHERE channel = 'office'")
    with op.batch_alter_table("report_revisions", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), server_default=None)
        batch_op.alter_column("proxy", existing_type=sa.Boolean(), server_default=None)
        batch_op.create_index(
            batch_op.f("ix_report_revisions_message_key"), ["message_key"], unique=False
        )
    op.create_table(
        "chat_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_people")),
        sa.UniqueConstraint(
            "platform", "external_id", name=op.f("uq_chat_people_platform_external_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("chat_people")
    # A withdrawal that left a slot unanswered has no grade, which the old schema cannot
    # hold: those rows go (the slot's current answer is in `reports`).
    op.execute("DELETE FROM report_revisions WHERE grade IS NULL")
    with op.batch_alter_table("report_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_revisions_message_key"))
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("proxy")
        batch_op.drop_column("message_key")
        batch_op.drop_column("kind")
        batch_op.alter_column("grade", existing_type=sa.String(length=20), nullable=False)
