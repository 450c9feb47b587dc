"""Job definitions (what to run, when) and executions (each attempt of a run).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_definitions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("cron", sa.String(120), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("catchup", sa.String(16), nullable=False, server_default="latest"),
        sa.Column("next_run_at", sa.Float, nullable=True, index=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "job_executions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("definition_id", sa.String(32), sa.ForeignKey("job_definitions.id")),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
        sa.Column("retry_of", sa.String(32), nullable=True),
        sa.Column("rerun_of", sa.String(32), nullable=True),
        sa.Column("gpus", sa.Integer, nullable=False, server_default="0"),
        sa.Column("gpu_ids", sa.JSON, nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("pid_started", sa.String(32), nullable=True),
        sa.Column("queued_at", sa.Float, nullable=False),
        sa.Column("not_before", sa.Float, nullable=False, server_default="0"),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("mlflow_run_id", sa.String(32), nullable=True),
        sa.Column("output_path", sa.String(1024), nullable=True),
        sa.Column("cells_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cells_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("inputs", sa.JSON, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("job_executions")
    op.drop_table("job_definitions")
