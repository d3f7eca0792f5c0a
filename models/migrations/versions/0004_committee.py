"""committee: indicators, evaluations, plan lineage

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("baseline_year", sa.Integer(), nullable=True),
        sa.Column("baseline_value", sa.Double(), nullable=True),
        sa.Column("target_year", sa.Integer(), nullable=True),
        sa.Column("target_value", sa.Double(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_indicators_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_indicators_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_indicators_plan_id_number")),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicators_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_indicators_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("node_key", sa.String(length=500), nullable=False),
        sa.Column("node_label", sa.Text(), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column("evaluator", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_evaluations_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("round_id", "node_key", name=op.f("uq_evaluations_round_id_node_key")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluations_round_id"), ["round_id"], unique=False)

    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_indicator_values_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_values_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_indicator_values_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_values")),
        sa.UniqueConstraint(
            "round_id", "indicator_id", name=op.f("uq_indicator_values_round_id_indicator_id")
        ),
    )
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_values_indicator_id"), ["indicator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indicator_values_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "indicator_value_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("source_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_indicator_value_revisions_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["value_id"],
            ["indicator_values.id"],
            name=op.f("fk_indicator_value_revisions_value_id_indicator_values"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_value_revisions")),
        sa.UniqueConstraint("source_key", name=op.f("uq_indicator_value_revisions_source_key")),
        sa.UniqueConstraint(
            "value_id", "revision", name=op.f("uq_indicator_value_revisions_value_id_revision")
        ),
    )
    with op.batch_alter_table("indicator_value_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_value_revisions_value_id"), ["value_id"], unique=False
        )

    # Plain ADD COLUMN, never a batch copy: on SQLite copying `items` or `plans` drops the
    # old table with foreign keys on, and ON DELETE CASCADE would empty `assignments` and
    # the plans' nodes and items (see 0003). SQLite takes a REFERENCES clause on ADD COLUMN
    # when the default is NULL.
    _add_self_reference("items", "predecessor_id")
    op.create_index(op.f("ix_items_predecessor_id"), "items", ["predecessor_id"], unique=False)
    _add_self_reference("plans", "predecessor_id")
    op.add_column("plans", sa.Column("evaluation_level", sa.Integer(), nullable=True))
    op.add_column("plans", sa.Column("evaluation_scale", sa.JSON(), nullable=True))
    op.add_column("plans", sa.Column("good_grades", sa.JSON(), nullable=True))


def _add_self_reference(table: str, column: str) -> None:
    name = f"fk_{table}_{column}_{table}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {table} (id) ON DELETE SET NULL"
        )
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(op.f(name), table, table, [column], ["id"], ondelete="SET NULL")


def _drop_self_reference(table: str, column: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(f"fk_{table}_{column}_{table}"), table, type_="foreignkey")
    op.drop_column(table, column)


def downgrade() -> None:
    # Native DROP COLUMN (SQLite >= 3.35), never a batch copy: see upgrade().
    op.drop_column("plans", "good_grades")
    op.drop_column("plans", "evaluation_scale")
    op.drop_column("plans", "evaluation_level")
    _drop_self_reference("plans", "predecessor_id")
    op.drop_index(op.f("ix_items_predecessor_id"), table_name="items")
    _drop_self_reference("items", "predecessor_id")

    with op.batch_alter_table("indicator_value_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_value_revisions_value_id"))

    op.drop_table("indicator_value_revisions")
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_values_round_id"))
        batch_op.drop_index(batch_op.f("ix_indicator_values_indicator_id"))

    op.drop_table("indicator_values")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_round_id"))

    op.drop_table("evaluations")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_plan_id"))
        batch_op.drop_index(batch_op.f("ix_indicators_department_id"))

    op.drop_table("indicators")
