"""The start-up locks of `steadygraph.storage.locks` let one holder in at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from harness import fresh_postgres_database

from steadygraph.graph.postgres_pool import open_pool
from steadygraph.storage.locks import advisory_lock, file_lock


async def _holders_take_turns(lock: Callable[[], AbstractAsyncContextManager[None]]) -> None:
    inside: list[int] = []
    most = 0

    async def hold() -> None:
        nonlocal most
        async with lock():
            inside.append(1)
            most = max(most, len(inside))
            await asyncio.sleep(0.2)
            inside.pop()

    await asyncio.wait_for(asyncio.gather(hold(), hold(), hold()), timeout=30)
    assert most == 1


async def test_file_lock_admits_one_holder_at_a_time(tmp_path: Path) -> None:
    await _holders_take_turns(lambda: file_lock(tmp_path / "setup.lock"))


async def test_advisory_lock_admits_one_session_at_a_time() -> None:
    with fresh_postgres_database() as url:
        async with open_pool(url) as pool:
            await _holders_take_turns(lambda: advisory_lock(pool, 0x5EED))
