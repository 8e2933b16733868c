"""The psycopg pool behind LangGraph's PostgreSQL checkpointer and store.

Both want the same connections (autocommit, no server-side prepared
statements, dict rows), so a process that opens both shares one pool:
`shared_pool` around `open_checkpointer(..., pool=)` and `open_store(..., pool=)`.
Either opened on its own makes its own pool with the same settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from steadygraph.config.settings import Settings

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

# Connections one user (checkpointer or store) may hold at once; a shared
# pool has room for both, as their separate pools had.
MAX_CONNECTIONS_PER_USER = 20


@asynccontextmanager
async def open_pool(
    dsn: str, *, max_size: int = MAX_CONNECTIONS_PER_USER
) -> AsyncIterator[AsyncConnectionPool]:
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(
        dsn,
        max_size=max_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=False,
    ) as pool:
        yield pool


@asynccontextmanager
async def shared_pool(settings: Settings) -> AsyncIterator[AsyncConnectionPool | None]:
    """One pool for the checkpointer and the store; None unless on PostgreSQL."""
    if not settings.is_postgres:
        yield None
        return
    async with open_pool(settings.checkpoint_url, max_size=2 * MAX_CONNECTIONS_PER_USER) as pool:
        yield pool


@asynccontextmanager
async def pool_for(
    settings: Settings, pool: AsyncConnectionPool | None
) -> AsyncIterator[AsyncConnectionPool]:
    """`pool` when given (its opener closes it), else a pool of our own for the block."""
    if pool is not None:
        yield pool
        return
    async with open_pool(settings.checkpoint_url) as own:
        yield own
