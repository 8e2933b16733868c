"""Per-checkpoint thread states and thread TTLs.

Kept beside schema.py (same MetaData) so each feature's tables live with the
code that owns them."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Index, String, Table

from steadygraph.storage.schema import Json, metadata

# One ThreadState JSON per checkpoint, written by the worker (which has the
# graph) as the checkpoints appear; the API answers get_state at a checkpoint
# and get_history from here without loading any graph code.
thread_checkpoints = Table(
    "thread_checkpoints",
    metadata,
    Column("thread_id", String(36), primary_key=True),
    Column("checkpoint_id", String(64), primary_key=True),
    Column("parent_checkpoint_id", String(64), nullable=True),
    Column("run_id", String(36), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=True),
    Column("metadata", Json, nullable=False),
    Column("state", Json, nullable=False),
    Index("ix_thread_checkpoints_run", "run_id"),
)

# Thread TTLs (migration 0003t) extend the threads table defined in schema.py.
_threads = metadata.tables["threads"]
_threads.append_column(Column("ttl_strategy", String(16), nullable=True))
_threads.append_column(Column("ttl_minutes", Float, nullable=True))
_threads.append_column(Column("expires_at", DateTime(timezone=True), nullable=True))
# Migration 0004t: the head state with subgraph states expanded, when the
# thread stopped inside a subgraph (None otherwise: then it equals `state`).
_threads.append_column(Column("state_subgraphs", Json, nullable=True))
