"""Per-checkpoint thread states (history, state at a checkpoint); thread TTLs.

Revision ID: 0003t
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003t"
down_revision = "0002"
branch_labels = ("threads",)
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "thread_checkpoints",
        sa.Column("thread_id", sa.String(36), primary_key=True),
        sa.Column("checkpoint_id", sa.String(64), primary_key=True),
        sa.Column("parent_checkpoint_id", sa.String(64), nullable=True),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("created_at", Ts, nullable=True),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("state", Json, nullable=False),
    )
    op.create_index("ix_thread_checkpoints_run", "thread_checkpoints", ["run_id"])
    with op.batch_alter_table("threads") as batch:
        batch.add_column(sa.Column("ttl_strategy", sa.String(16), nullable=True))
        batch.add_column(sa.Column("ttl_minutes", sa.Float, nullable=True))
        batch.add_column(sa.Column("expires_at", Ts, nullable=True))
    op.create_index("ix_threads_expires_at", "threads", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_threads_expires_at", "threads")
    with op.batch_alter_table("threads") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("ttl_minutes")
        batch.drop_column("ttl_strategy")
    op.drop_index("ix_thread_checkpoints_run", "thread_checkpoints")
    op.drop_table("thread_checkpoints")
