"""Indexes for threads.search at scale: its sort keys (created_at, the
default, and updated_at) and its status filter.

Revision ID: 0005t
Revises: 0004t
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0005t"
down_revision = "0004t"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_threads_created_at", "threads", ["created_at"])
    op.create_index("ix_threads_updated_at", "threads", ["updated_at"])
    op.create_index("ix_threads_status", "threads", ["status"])


def downgrade() -> None:
    op.drop_index("ix_threads_status", "threads")
    op.drop_index("ix_threads_updated_at", "threads")
    op.drop_index("ix_threads_created_at", "threads")
