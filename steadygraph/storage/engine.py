"""Database engines and schema migrations (Alembic) for the metadata store."""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from steadygraph.storage.locks import MIGRATION_LOCK_KEY, file_lock
from steadygraph.storage.sqlite_driver import one_hop_dbapi

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _tune_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # API and worker are separate processes writing one file: WAL lets readers
    # go on during a write, busy_timeout makes a writer wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: it applies to what follows
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, module=one_hop_dbapi())
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    engine = create_async_engine(url, pool_size=10, max_overflow=20)
    _ping_idle_connections(engine)
    return engine


def for_reads(engine: AsyncEngine) -> AsyncEngine:
    """The engine, for `connect()` blocks that only read. On PostgreSQL they
    run in autocommit: psycopg otherwise sends a `BEGIN` before the first
    statement and the pool a `ROLLBACK` when the connection comes back, two
    round trips more than the read itself (~20 reads per run). A read of
    several statements loses nothing by it: at READ COMMITTED each statement
    of a transaction sees its own snapshot anyway. SQLite begins no
    transaction for a read."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


# A pooled PostgreSQL connection left idle longer than this is pinged before it
# is used again (PING_IDLE_S, seconds).
PING_IDLE_S = 2.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """`pool_pre_ping`, for connections that sat idle: SQLAlchemy's own ping,
    but not for a connection that was in use a moment ago. pre_ping pinged at
    every checkout, a round trip before each transaction (0.2 ms of CPU and
    0.3 ms of wall time each, ~45 transactions per run across API and
    worker). A ping that fails discards the connection and the pool opens
    another (SQLAlchemy's documented "pessimistic" disconnect handling); a
    connection that died less than PING_IDLE_S after its last use fails its
    statement once, and the pool then replaces all of its connections."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_dbapi: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi: DBAPIConnection, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection gone: {exc}") from exc


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; a no-op when it already is.

    API and worker processes may start at the same moment and both migrate, so
    the upgrade runs under a lock: an advisory lock on PostgreSQL, a file lock
    beside the SQLite database.
    """

    def upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        # "heads": independent branches (one per feature) may be pending at once.
        command.upgrade(_alembic_config(connection), "heads")

    async with _sqlite_lock(engine):
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)


def _sqlite_lock(engine: AsyncEngine) -> AbstractAsyncContextManager[None]:
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        return nullcontext()
    return file_lock(f"{database}.migrate.lock")
