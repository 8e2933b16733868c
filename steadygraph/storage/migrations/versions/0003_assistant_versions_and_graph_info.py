"""Assistant versions; graph info published by workers (drawings, schemas, subgraphs).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
# Features branch off 0002 side by side (threads has its own); `migrate`
# upgrades to all heads.
branch_labels = ("assistants",)
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assistant_versions",
        sa.Column(
            "assistant_id",
            sa.String(36),
            sa.ForeignKey("assistants.assistant_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("graph_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("config", Json, nullable=False),
        sa.Column("context", Json, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
    )
    # Assistants made before versions existed were never updated, so their
    # current state is their one version; without it set_latest and the
    # versions list would not know them.
    op.execute(
        "INSERT INTO assistant_versions "
        "(assistant_id, version, graph_id, name, description, config, context, metadata, "
        "created_at) "
        "SELECT assistant_id, version, graph_id, name, description, config, context, metadata, "
        "updated_at FROM assistants"
    )
    op.create_table(
        "graph_info",
        sa.Column("graph_id", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        # JSON, not JSONB: JSONB would reorder a schema's properties.
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("published_at", Ts, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("graph_info")
    op.drop_table("assistant_versions")
