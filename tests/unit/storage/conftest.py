from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import fresh_postgres_database

from steadygraph.config.settings import to_async_url
from steadygraph.storage import Storage, open_storage


@pytest.fixture(params=["sqlite", "postgres"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """The metadata store on a real SQLite file, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        opened = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'steadygraph.sqlite'}")
        try:
            yield opened
        finally:
            await opened.close()
        return
    with fresh_postgres_database() as url:
        opened = await open_storage(to_async_url(url))
        try:
            yield opened
        finally:
            await opened.close()
