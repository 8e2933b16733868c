"""A 5 MB thread state: step latency, and proof that none of the state
travels through the run's workflow history. bench/graphs/big_state.py writes
a `size`-byte string in its first step, then runs `steps` more steps that
each change only a counter. The same run with a 1 KiB state is the baseline.

    python bench/bench_big_state.py [--size-mib 5] [--steps 10] [--backend sqlite]

Step latency is read from the run's Temporal history (each super-step
activity from scheduled to completed), the history size from Temporal
(`describe`), and the largest event in the history (which bounds every
payload) is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy import bench_deployment
from langgraph_sdk import get_client
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client


async def _one(url: str, temporal_address: str, size: int, steps: int) -> None:
    client = get_client(url=url, timeout=600)
    thread_id = (await client.threads.create())["thread_id"]
    started = time.monotonic()
    run = await client.runs.create(thread_id, "big_state", input={"size": size, "steps": steps})
    await asyncio.wait_for(client.runs.join(thread_id, run["run_id"]), 1800)
    wall = time.monotonic() - started
    status = (await client.runs.get(thread_id, run["run_id"]))["status"]
    read_started = time.monotonic()
    values = (await client.threads.get_state(thread_id))["values"]
    read_ms = (time.monotonic() - read_started) * 1000
    assert isinstance(values, dict)
    assert len(values["blob"]) == size and values["count"] == steps

    temporal = await Client.connect(temporal_address)
    handle = temporal.get_workflow_handle(run["run_id"])
    history = await handle.fetch_history()
    scheduled = {}
    durations: dict[str, list[float]] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled[event.event_id] = (name, event.event_time.ToDatetime())
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attributes = event.activity_task_completed_event_attributes
            name, at = scheduled[attributes.scheduled_event_id]
            ms = (event.event_time.ToDatetime() - at).total_seconds() * 1000
            durations.setdefault(name, []).append(ms)
    info = (await handle.describe()).raw_description.workflow_execution_info
    largest = max(e.ByteSize() for e in history.events)  # bounds every payload
    fill = durations.get("fill", [0])[0]
    tick = statistics.median(durations.get("tick", [0]))
    print(
        f"  state {size / 2**20:.3f} MiB: {status}, run {wall:.2f} s; step 'fill' {fill:.0f} ms, "
        f"'tick' median {tick:.0f} ms; get_state {read_ms:.0f} ms; history "
        f"{info.history_length} events, {info.history_size_bytes / 1024:.1f} KiB, "
        f"largest event {largest} B"
    )


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=float, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgres"]:
        print(backend)
        with bench_deployment(backend) as bench:
            for size in (1024, int(args.size_mib * 2**20)):
                await _one(bench.url, bench.temporal.address, size, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
