"""Start-up against dependencies that may not be up yet.

In a deployment the API and workers often start before Temporal or
PostgreSQL accept connections (a cold `docker compose up`, a database
failover, a rolling restart of the cluster). Each process keeps trying for
STEADYGRAPH_CONNECT_TIMEOUT seconds and says what it is waiting for, instead
of dying on the first refused connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger("steadygraph.startup")

T = TypeVar("T")

_FIRST_DELAY_S = 0.5
_LONGEST_DELAY_S = 5.0


async def retrying(
    what: str, where: str, attempt: Callable[[], Awaitable[T]], *, timeout_s: float
) -> T:
    """`attempt()` until it succeeds or `timeout_s` has passed (then its last
    error is raised); one line per failed attempt, with the error."""
    deadline = time.monotonic() + timeout_s
    delay, attempts = _FIRST_DELAY_S, 0
    while True:
        attempts += 1
        try:
            result = await attempt()
        except Exception as exc:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.error("gave up on %s at %s after %d attempt(s): %s", what, where, attempts, exc)
                raise
            log.warning(
                "waiting for %s at %s (attempt %d, %.0f s left): %s",
                what,
                where,
                attempts,
                remaining,
                _one_line(exc),
            )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, _LONGEST_DELAY_S)
            continue
        if attempts > 1:
            log.warning("connected to %s at %s after %d attempts", what, where, attempts)
        return result


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
