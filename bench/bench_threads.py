"""10,000 threads: latency of threads.search / threads.count through the API
on SQLite and PostgreSQL. The threads are created through the API (20 in
flight), with metadata `{"user": "user<i % 100>", "n": i}`.

    python bench/bench_threads.py [--threads 10000] [--backend sqlite --backend postgres]

Each query runs 20 times (after 2 warm-ups); the median and max are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy import bench_deployment
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

REPEAT = 20


async def _fill(client: LangGraphClient, count: int) -> float:
    gate = asyncio.Semaphore(20)

    async def one(i: int) -> None:
        async with gate:
            await client.threads.create(metadata={"user": f"user{i % 100}", "n": i})

    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(count)))
    return count / (time.monotonic() - started)


def _queries(client: LangGraphClient, count: int) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "search, newest 10": lambda: client.threads.search(limit=10),
        "search, page at offset n-100": lambda: client.threads.search(limit=10, offset=count - 100),
        "search by metadata (1 %)": lambda: client.threads.search(
            metadata={"user": "user7"}, limit=10
        ),
        "search by metadata (1 thread)": lambda: client.threads.search(
            metadata={"n": count // 2}, limit=10
        ),
        "search by status=idle": lambda: client.threads.search(status="idle", limit=10),
        "search, sort by updated_at": lambda: client.threads.search(
            limit=10, sort_by="updated_at", sort_order="desc"
        ),
        "count all": lambda: client.threads.count(),
        "count by metadata (1 %)": lambda: client.threads.count(metadata={"user": "user7"}),
        "count by status=busy": lambda: client.threads.count(status="busy"),
    }


async def _measure(url: str, count: int) -> None:
    client = get_client(url=url, timeout=120)
    rate = await _fill(client, count)
    print(f"  created {count} threads at {rate:.0f}/s")
    assert await client.threads.count() >= count
    for name, query in _queries(client, count).items():
        latencies = []
        for i in range(REPEAT + 2):
            started = time.perf_counter()
            await query()
            if i >= 2:
                latencies.append((time.perf_counter() - started) * 1000)
        print(
            f"  {name:32} median {statistics.median(latencies):7.1f} ms  "
            f"max {max(latencies):7.1f} ms"
        )


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgres"]:
        print(backend)
        with bench_deployment(backend) as bench:
            await _measure(bench.url, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
