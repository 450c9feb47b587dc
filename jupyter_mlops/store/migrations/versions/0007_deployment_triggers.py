"""Firings of deployments' retraining triggers: why each fired, and how far the
retrain -> register -> canary -> promote (or roll back) loop it started has come.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_triggers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("deployment", sa.String(64), nullable=False, index=True),
        sa.Column("fired_at", sa.Float, nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        # The data window the retraining job was given, ISO 8601 UTC.
        sa.Column("window_start", sa.String(40), nullable=False),
        sa.Column("window_end", sa.String(40), nullable=False),
        # retraining | registered | canary | promoted | rolled_back | failed
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("execution_id", sa.String(32), nullable=True),
        sa.Column("model_version", sa.String(32), nullable=True),  # the challenger
        sa.Column("message", sa.String(2000), nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deployment_triggers")
