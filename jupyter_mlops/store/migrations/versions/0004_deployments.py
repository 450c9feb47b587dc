"""Deployments (what should serve, and the processes serving it) and their history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        # pending | starting | ready | failed | stopping | stopped
        sa.Column("status", sa.String(16), nullable=False, index=True),
        # The machine the serving process runs on: its pid means nothing elsewhere.
        sa.Column("node", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("pid_started", sa.String(32), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),  # the address it listens on
        sa.Column("port", sa.Integer, nullable=True),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("ready_at", sa.Float, nullable=True),
        sa.Column("restarts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fast_crashes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.String(2000), nullable=True),
        # The version being rolled out while the current one serves, and its process.
        sa.Column("candidate", sa.JSON, nullable=True),
        # Processes sent SIGTERM that may still be draining their requests.
        sa.Column("retiring", sa.JSON, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "deployment_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deployment", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.String(2000), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deployment_events")
    op.drop_table("deployments")
