"""Feature store registry: versioned definitions and the batches ingested into views.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_definitions",
        sa.Column("kind", sa.String(16), primary_key=True),  # entity | view | service
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("stats", sa.JSON, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "feature_batches",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("view", sa.String(200), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("min_event", sa.Float, nullable=True),
        sa.Column("max_event", sa.Float, nullable=True),
        sa.Column("duplicates", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ingested_at", sa.Float, nullable=False),
    )
    op.create_table(
        "feature_materializations",
        sa.Column("view", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("start", sa.Float, nullable=False),
        sa.Column("end", sa.Float, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("materialized_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feature_materializations")
    op.drop_table("feature_batches")
    op.drop_table("feature_definitions")
