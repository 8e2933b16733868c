"""How soon the API sees a run's end and its stream events: create→join,
create→end of `runs.stream` and create→`runs.wait` of the `agent` example
(3 super-steps), N sequential runs each on a fresh thread, and for each the
lag from the run's end as the worker recorded it (`updated_at`) to the
client's answer: the part run-change notifications shorten. On PostgreSQL
the API is woken by LISTEN/NOTIFY, on SQLite by the Unix sockets next to the
database file (`steadygraph.storage.local_notify`; before session 10 it
polled storage and long-polled Temporal for a join).

    python bench/bench_join_latency.py [--runs 50] [--backend postgres]

To compare with the code before a change, run the same script with the
older tree first on PYTHONPATH (e.g. a `git worktree` of the older commit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy import bench_deployment
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

import steadygraph

INPUT: dict[str, Any] = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


async def _join(client: LangGraphClient, thread_id: str) -> None:
    run = await client.runs.create(thread_id, "agent", input=INPUT)
    await client.runs.join(thread_id, run["run_id"])


async def _stream(client: LangGraphClient, thread_id: str) -> None:
    async for _ in client.runs.stream(thread_id, "agent", input=INPUT, stream_mode="values"):
        pass


async def _wait(client: LangGraphClient, thread_id: str) -> None:
    await client.runs.wait(thread_id, "agent", input=INPUT)


SCENARIOS: dict[str, Callable[[LangGraphClient, str], Awaitable[None]]] = {
    "create→join": _join,
    "stream": _stream,
    "wait": _wait,
}


async def _measure(url: str, runs: int) -> None:
    client = get_client(url=url, timeout=60)
    for name, scenario in SCENARIOS.items():
        latencies, lags = [], []
        for i in range(runs + 3):  # 3 warm-up runs
            thread_id = (await client.threads.create())["thread_id"]
            started = time.perf_counter()
            await asyncio.wait_for(scenario(client, thread_id), 60)
            returned = time.time()
            if i >= 3:
                latencies.append((time.perf_counter() - started) * 1000)
                # The run's end as the worker recorded it (same clock): how
                # long the API took to notice it and answer.
                run = (await client.runs.list(thread_id))[0]
                ended = datetime.fromisoformat(str(run["updated_at"])).timestamp()
                lags.append((returned - ended) * 1000)
        p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
        print(
            f"  {name:12} median {statistics.median(latencies):6.1f} ms  p95 {p95:6.1f} ms  "
            f"min {min(latencies):6.1f} ms; end→answer median "
            f"{statistics.median(lags):5.1f} ms, p95 "
            f"{statistics.quantiles(lags, n=20, method='inclusive')[18]:5.1f} ms  ({runs} runs)"
        )


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    print(f"steadygraph from {Path(steadygraph.__file__).parent}")
    for backend in args.backend or ["postgres"]:
        print(backend)
        with bench_deployment(backend) as bench:
            await _measure(bench.url, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
