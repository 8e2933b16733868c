"""Every table of the metadata store: assistants, threads, runs and what hangs
off them (graph state itself lives in LangGraph's checkpointer). Changes here
go with a migration in `migrations/`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# JSONB on PostgreSQL (indexable, containment queries), JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")

assistants = Table(
    "assistants",
    metadata,
    Column("assistant_id", String(36), primary_key=True),
    Column("graph_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("config", Json, nullable=False),
    Column("context", Json, nullable=False),
    Column("metadata", Json, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

threads = Table(
    "threads",
    metadata,
    Column("thread_id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("state_updated_at", DateTime(timezone=True), nullable=False),
    Column("metadata", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("config", Json, nullable=False),
    Column("values", Json, nullable=True),
    Column("interrupts", Json, nullable=True),
    Column("error", Json, nullable=True),
    # The latest ThreadState JSON, written by the worker (which has the graph)
    # so the API can answer get_state without loading any graph code.
    Column("state", Json, nullable=True),
    # Thread TTLs (migration 0003t): what happens when, and when it is due.
    Column("ttl_strategy", String(16), nullable=True),
    Column("ttl_minutes", Float, nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    # Migration 0004t: the head state with subgraph states expanded, when the
    # thread stopped inside a subgraph (None otherwise: then it equals `state`).
    Column("state_subgraphs", Json, nullable=True),
    # Migration 0006t: state updates sent to the thread's workflow and not yet
    # applied; while any is, new runs queue in that workflow behind them.
    Column("state_updates_in_flight", Integer, nullable=False, server_default="0"),
    Index("ix_threads_expires_at", "expires_at"),
    # Migration 0005t: threads.search sorts by these and filters by status.
    Index("ix_threads_created_at", "created_at"),
    Index("ix_threads_updated_at", "updated_at"),
    Index("ix_threads_status", "status"),
)

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

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column(
        "thread_id",
        String(36),
        ForeignKey("threads.thread_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("assistant_id", String(36), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("metadata", Json, nullable=False),
    Column("kwargs", Json, nullable=False),
    Column("multitask_strategy", String(16), nullable=False),
    # {"error": class, "message": text} of a failed run, for join/wait's __error__.
    Column("error", Json, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    # Migration 0006t: started as its own workflow, not by its thread's
    # workflow (the thread had nothing else to do when it was created).
    Column("direct", Boolean, nullable=False, server_default=false()),
    # Migration 0007t: "interrupt"/"rollback" asked of the run while it ran,
    # read by a step running as a local activity.
    Column("cancel_requested", String(16), nullable=True),
    Index("ix_runs_thread_created", "thread_id", "created_at"),
    Index("ix_runs_status", "status"),
)

# The durable stream of a run: what the worker's graph emitted, in order, so
# the API can serve it (and serve it again from any point) over SSE.
run_events = Table(
    "run_events",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event", String(255), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Every state an assistant has been in: create writes version 1, each update
# the next one; the `assistants` row is a copy of the version currently chosen.
assistant_versions = Table(
    "assistant_versions",
    metadata,
    Column(
        "assistant_id",
        String(36),
        ForeignKey("assistants.assistant_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("graph_id", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("config", Json, nullable=False),
    Column("context", Json, nullable=False),
    Column("metadata", Json, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# What only graph code can tell (drawable graph, JSON schemas, subgraphs),
# published by workers at start-up so the API can answer without importing
# any graph. One JSON document per (graph, kind, key).
graph_info = Table(
    "graph_info",
    metadata,
    Column("graph_id", String(255), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),
    # Plain JSON, not JSONB, on PostgreSQL too: JSONB reorders keys, and the
    # order of a schema's properties is the order clients show fields in.
    Column("data", JSON, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)
