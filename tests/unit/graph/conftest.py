from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import fresh_postgres_database

from steadygraph.config.settings import Settings


@pytest.fixture(params=["sqlite", "postgres"])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for LangGraph's checkpointer on a SQLite file, then on a fresh
    PostgreSQL database."""
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data")
        return
    with fresh_postgres_database() as url:
        yield Settings(data_dir=tmp_path / "data", database_url=url)
