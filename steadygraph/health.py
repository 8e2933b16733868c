"""Readiness: can this process reach what it serves from right now?

`GET /ok` alone answers as long as the process is up (liveness); with
`check_db=1` it also asks the metadata database and Temporal (readiness), so a
load balancer stops sending requests to an API that cannot take them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

CHECK_TIMEOUT_S = 5.0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_S:g} s"
    lines = str(exc).strip().splitlines()
    first = lines[0][:200] if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


async def check_storage(engine: AsyncEngine) -> str | None:
    """None when the metadata database answers a query, else why not."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            try:
                await _select_one(engine)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # A pooled connection that died since its last use (connections
                # in steady use are not pinged): the pool has let go of it, and
                # a new connection tells whether the database is there now.
                await _select_one(engine)
    except Exception as exc:
        return f"storage ({engine.dialect.name}) is unreachable: {_reason(exc)}"
    return None


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def check_temporal(client: Client) -> str | None:
    """None when Temporal's frontend reports itself serving, else why not."""
    target = client.service_client.config.target_host
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            serving = await client.service_client.check_health(
                timeout=timedelta(seconds=CHECK_TIMEOUT_S)
            )
    except Exception as exc:
        return f"Temporal at {target} is unreachable: {_reason(exc)}"
    return None if serving else f"Temporal at {target} is not serving"


async def readiness_problems(engine: AsyncEngine, client: Client) -> list[str]:
    """What keeps this process from taking runs; empty when it is ready."""
    results = await asyncio.gather(check_storage(engine), check_temporal(client))
    return [problem for problem in results if problem]
