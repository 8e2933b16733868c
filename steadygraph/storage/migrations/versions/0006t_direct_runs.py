"""Runs started without their thread's workflow (the thread had no other
work), and the state updates a thread has in flight (while any is, runs go
through the thread's workflow so they stay ordered with the update).

Revision ID: 0006t
Revises: 0005t
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006t"
down_revision = "0005t"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("direct", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("threads") as batch:
        batch.add_column(
            sa.Column("state_updates_in_flight", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("threads") as batch:
        batch.drop_column("state_updates_in_flight")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("direct")
