"""`steadygraph.storage.schema` describes exactly what the migrations build,
on both backends: every table, column and index in one module."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from harness import fresh_postgres_database
from sqlalchemy.engine import Connection

from steadygraph.config.settings import to_async_url
from steadygraph.storage.engine import create_engine, migrate
from steadygraph.storage.schema import metadata


async def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        await migrate(engine)

        def compare(connection: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))

        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_schema_module_matches_sqlite_migrations(tmp_path: Path) -> None:
    assert await _differences(f"sqlite+aiosqlite:///{tmp_path / 'schema.sqlite'}") == []


async def test_schema_module_matches_postgres_migrations() -> None:
    with fresh_postgres_database() as url:
        assert await _differences(to_async_url(url)) == []
