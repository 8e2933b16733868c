"""A request whose pooled PostgreSQL connection died under it answers 503 with
a message (not a 500), and the next request gets a fresh connection: the
handler `api.errors` installs, on a real database whose backend is killed."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from harness import fresh_postgres_database
from sqlalchemy import text

from steadygraph.api.errors import install
from steadygraph.config.settings import to_async_url, to_plain_postgres_dsn
from steadygraph.storage import engine as engine_module


async def test_a_lost_connection_answers_503_and_the_next_request_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "PING_IDLE_S", 3600)  # the connection is not pinged
    with fresh_postgres_database() as url:
        engine = engine_module.create_engine(to_async_url(url))
        app = FastAPI()
        install(app)

        @app.get("/pid")
        async def pid() -> Any:
            async with engine.connect() as conn:
                return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                first = (await client.get("/pid")).json()
                with psycopg.connect(to_plain_postgres_dsn(url), autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (first,))
                lost = await client.get("/pid")
                assert lost.status_code == 503
                assert lost.json() == {"detail": "The database connection was lost; try again"}
                again = await client.get("/pid")
                assert again.status_code == 200
                assert again.json() != first
        finally:
            await engine.dispose()
