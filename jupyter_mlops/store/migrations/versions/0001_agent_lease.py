"""The agent lease: one row per role; whoever holds it unexpired is the agent.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    lease = op.create_table(
        "agent_lease",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(255), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        # Epoch seconds: comparable in SQL on every backend, no time zone ambiguity.
        sa.Column("acquired_at", sa.Float, nullable=True),
        sa.Column("renewed_at", sa.Float, nullable=True),
        sa.Column("expires_at", sa.Float, nullable=False, server_default="0"),
    )
    # Seeded so that taking the lease is always a single conditional UPDATE.
    op.bulk_insert(lease, [{"name": "agent", "expires_at": 0.0}])


def downgrade() -> None:
    op.drop_table("agent_lease")
