"""On PostgreSQL the checkpointer and the store of one process share one
psycopg pool, and both work through it; on their own each has its own."""

from __future__ import annotations

import json
from pathlib import Path

from harness import fresh_postgres_database
from langgraph.checkpoint.base import empty_checkpoint

from steadygraph.config.project import load_project
from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import open_checkpointer
from steadygraph.graph.postgres_pool import shared_pool
from steadygraph.graph.store import open_store


async def test_checkpointer_and_store_share_one_pool(tmp_path: Path) -> None:
    (tmp_path / "graph.py").write_text("graph = None\n")
    (tmp_path / "langgraph.json").write_text(json.dumps({"graphs": {"g": "./graph.py:graph"}}))
    project = load_project(tmp_path / "langgraph.json")
    with fresh_postgres_database() as url:
        settings = Settings(data_dir=tmp_path / "data", database_url=url)
        async with (
            shared_pool(settings) as pool,
            open_checkpointer(settings, pool=pool) as checkpointer,
            open_store(settings, project, pool=pool) as store,
        ):
            assert pool is not None
            assert checkpointer.conn is pool  # type: ignore[attr-defined]
            assert store.conn is pool  # type: ignore[attr-defined]
            config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
            await checkpointer.aput(config, empty_checkpoint(), {}, {})
            assert await checkpointer.aget_tuple(config) is not None
            await store.aput(("ns",), "k", {"v": 1})
            assert (await store.aget(("ns",), "k")).value == {"v": 1}  # type: ignore[union-attr]
        assert pool.closed

        async with open_checkpointer(settings) as own, open_store(settings, project) as other:
            assert own.conn is not other.conn  # type: ignore[attr-defined]


async def test_no_pool_on_sqlite(tmp_path: Path) -> None:
    async with shared_pool(Settings(data_dir=tmp_path)) as pool:
        assert pool is None
