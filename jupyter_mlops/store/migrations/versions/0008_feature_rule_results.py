"""Data rules' results per ingested feature batch: each rule, its column, what the
batch showed and whether it passed (a failed warning is a batch written with it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_rule_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("view", sa.String(200), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("batch", sa.Integer, nullable=False, index=True),  # feature_batches.seq
        # unique | max_null | min | max | allowed | max_out_of_range | max_psi
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("column", sa.String(1000), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),  # error | warn
        sa.Column("bound", sa.JSON, nullable=True),
        sa.Column("observed", sa.JSON, nullable=True),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("failing_rows", sa.Integer, nullable=False),
        sa.Column("examples", sa.JSON, nullable=False),
        sa.Column("checked_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feature_rule_results")
