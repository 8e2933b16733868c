"""Metadata storage: assistants, threads, runs (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from steadygraph.storage.engine import create_engine, migrate
from steadygraph.storage.repository import ACTIVE_RUN_STATUSES, Storage, ThreadExistsError


async def open_storage(url: str, *, run_migrations: bool = True) -> Storage:
    engine = create_engine(url)
    if run_migrations:
        await migrate(engine)
    return Storage(engine)


__all__ = ["ACTIVE_RUN_STATUSES", "Storage", "ThreadExistsError", "open_storage"]
