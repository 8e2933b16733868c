"""Locks that make processes take turns at start-up work on a shared database.

The API and the worker may start at the same moment and both set up the same
schema (ours, LangGraph's store and checkpointer). Beside a SQLite file they take a file lock;
on PostgreSQL an advisory lock, keyed by what is being set up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from filelock import AsyncFileLock

# Any constants work; they only have to be the same in every Steadygraph
# process and differ from each other.
MIGRATION_LOCK_KEY = 0x57EAD6
STORE_SETUP_LOCK_KEY = 0x57EAD7
CHECKPOINTER_SETUP_LOCK_KEY = 0x57EAD8


@asynccontextmanager
async def file_lock(path: Path | str) -> AsyncIterator[None]:
    """Exclusive across processes while the block runs. Waiting does not
    block the event loop: the other process may hold it for a whole migration."""
    async with AsyncFileLock(str(path)):
        yield


@asynccontextmanager
async def advisory_lock(pool: Any, key: int) -> AsyncIterator[None]:
    """A session-level PostgreSQL advisory lock on one connection of a psycopg
    pool (whose rows are dicts), held while the block runs."""
    async with pool.connection() as conn:
        # Polled, not a blocking pg_advisory_lock(): LangGraph's store setup
        # includes CREATE INDEX CONCURRENTLY, which waits for every open
        # transaction, and a session blocked in pg_advisory_lock() is one;
        # both would wait forever.
        while True:
            cursor = await conn.execute("SELECT pg_try_advisory_lock(%s) AS locked", (key,))
            row = await cursor.fetchone()
            if row and row["locked"]:
                break
            await asyncio.sleep(0.1)
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
