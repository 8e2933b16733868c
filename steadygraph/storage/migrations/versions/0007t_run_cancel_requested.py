"""A cancel asked of a running run, for a step running as a local activity
to see at once (its workflow sees the cancel signal only when the step's
workflow task ends).

Revision ID: 0007t
Revises: 0006t
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007t"
down_revision = "0006t"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("cancel_requested", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("cancel_requested")
