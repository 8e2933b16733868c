"""PostgreSQL connections of the metadata store are pinged before use only
after sitting idle (steadygraph.storage.engine): a connection that died while
idle is replaced before a statement meets it, and connections in steady use
cost no ping round trip."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from harness import fresh_postgres_database
from sqlalchemy import text

from steadygraph.config.settings import to_async_url, to_plain_postgres_dsn
from steadygraph.storage import engine as engine_module


async def _backend_pid(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_that_died_while_idle_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "PING_IDLE_S", 0.05)
    with fresh_postgres_database() as url:
        engine = engine_module.create_engine(to_async_url(url))
        try:
            pid = await _backend_pid(engine)
            with psycopg.connect(to_plain_postgres_dsn(url), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            await asyncio.sleep(0.2)
            assert await _backend_pid(engine) != pid  # the ping found it gone
        finally:
            await engine.dispose()


async def test_connections_in_steady_use_are_not_pinged() -> None:
    with fresh_postgres_database() as url:
        engine = engine_module.create_engine(to_async_url(url))
        pings: list[object] = []
        ping = engine.dialect.do_ping

        def counted(dbapi: Any) -> bool:
            pings.append(dbapi)
            return ping(dbapi)

        engine.dialect.do_ping = counted  # type: ignore[method-assign]
        try:
            pids = {await _backend_pid(engine) for _ in range(20)}
        finally:
            await engine.dispose()
    assert len(pids) == 1
    assert pings == []
