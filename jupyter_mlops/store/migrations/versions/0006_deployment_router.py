"""Deployments get a traffic router, which owns their public port; the serving
processes listen on loopback ports of their own behind it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # {node, pid, pid_started, host, port}: the router process and the public address.
    op.add_column("deployments", sa.Column("router", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("router")
