"""Reads of the metadata store on PostgreSQL run in autocommit
(steadygraph.storage.engine.for_reads): no BEGIN before the statement and no
ROLLBACK after it, one round trip per read. Writes stay transactions."""

from __future__ import annotations

from typing import Any

from harness import fresh_postgres_database
from psycopg.pq import TransactionStatus
from sqlalchemy import text

from steadygraph.config.settings import to_async_url
from steadygraph.storage import open_storage
from steadygraph.storage.engine import create_engine, for_reads


async def _status_after_a_statement(connect: Any) -> TransactionStatus:
    async with connect() as conn:
        await conn.execute(text("SELECT 1"))
        raw = await conn.get_raw_connection()
        return TransactionStatus(raw.driver_connection.pgconn.transaction_status)


async def test_a_read_sends_no_begin_and_a_write_stays_a_transaction() -> None:
    with fresh_postgres_database() as url:
        engine = create_engine(to_async_url(url))
        try:
            # Twice: the pool hands back the same connection, reset for each use.
            for _ in range(2):
                assert await _status_after_a_statement(for_reads(engine).connect) == (
                    TransactionStatus.IDLE
                )
                assert await _status_after_a_statement(engine.begin) == TransactionStatus.INTRANS
                assert await _status_after_a_statement(engine.connect) == TransactionStatus.INTRANS
        finally:
            await engine.dispose()


async def test_the_stores_repositories_read_through_it() -> None:
    with fresh_postgres_database() as url:
        storage = await open_storage(to_async_url(url))
        try:
            for repository in (
                storage.assistants,
                storage.threads,
                storage.runs,
                storage.run_events,
                storage.checkpoints,
            ):
                options = repository.reads.get_execution_options()
                assert options.get("isolation_level") == "AUTOCOMMIT", repository
        finally:
            await storage.close()
