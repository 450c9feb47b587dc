"""Feature batches no longer record whether they made ties: the join index orders tied
rows itself, so nothing reads the flag.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: sqlite drops a column by copying the table.
    with op.batch_alter_table("feature_batches") as batch:
        batch.drop_column("duplicates")


def downgrade() -> None:
    import sqlalchemy as sa

    with op.batch_alter_table("feature_batches") as batch:
        batch.add_column(
            sa.Column("duplicates", sa.Boolean, nullable=False, server_default=sa.false())
        )
