"""What Temporal itself costs per run on this machine: a workflow of N no-op
activities (regular or local), started as Steadygraph starts a run's workflow,
with no database, no graph and no HTTP. The floor under `bench_runs.py`'s
numbers, and what eager workflow start (a worker in the starting process)
would take off.

    python bench/bench_temporal_floor.py [--activities 5] [--runs 300]

Starts its own embedded Temporal dev server (file-backed and tuned as
`steadygraph dev` runs it) on free ports, and a worker in this process.
Reports create→result latency (median of 50 sequential workflows),
throughput (`--runs` workflows, 20 in flight) and CPU per workflow of the
Temporal server and of this process (client + worker), per mode.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psutil
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from steadygraph.dev.temporal_server import EmbeddedTemporal, free_port


@activity.defn
async def noop(step: int) -> int:
    return step


@workflow.defn
class Steps:
    @workflow.run
    async def run(self, activities: int, local: bool) -> int:
        for step in range(activities):
            if local:
                await workflow.execute_local_activity(
                    noop, step, start_to_close_timeout=timedelta(seconds=10)
                )
            else:
                await workflow.execute_activity(
                    noop, step, start_to_close_timeout=timedelta(seconds=10)
                )
        return activities


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def _mode(
    client: Client, server: psutil.Process, *, activities: int, local: bool, eager: bool, runs: int
) -> str:
    task_queue = f"floor-{uuid.uuid4().hex}"
    me = psutil.Process()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Steps],
        activities=[noop],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):

        async def one() -> float:
            started = time.perf_counter()
            handle = await client.start_workflow(
                Steps.run,
                args=[activities, local],
                id=uuid.uuid4().hex,
                task_queue=task_queue,
                request_eager_start=eager,
            )
            await handle.result()
            return (time.perf_counter() - started) * 1000

        for _ in range(5):
            await one()
        latencies = [await one() for _ in range(50)]
        in_flight = asyncio.Semaphore(20)

        async def limited() -> float:
            async with in_flight:
                return await one()

        server_cpu, my_cpu, wall = _cpu_s(server), _cpu_s(me), time.perf_counter()
        await asyncio.gather(*(limited() for _ in range(runs)))
        wall = time.perf_counter() - wall
        server_ms = (_cpu_s(server) - server_cpu) * 1000 / runs
        my_ms = (_cpu_s(me) - my_cpu) * 1000 / runs
    kind = "local" if local else "regular"
    return (
        f"{kind:7}  {'yes' if eager else 'no':5}  {statistics.median(latencies):9.1f}  "
        f"{runs / wall:6.1f}  {server_ms:10.1f}  {my_ms:13.1f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=5)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="temporal-floor-") as data_dir:
        temporal = EmbeddedTemporal(Path(data_dir), port=free_port(), ui_port=None)
        temporal.start()
        try:
            assert temporal.process is not None
            server = psutil.Process(temporal.process.pid)
            client = await Client.connect(temporal.address)
            print(
                f"{args.activities} no-op activities per workflow, {args.runs} runs, 20 in flight"
            )
            print("steps    eager  median ms  runs/s  Temporal ms  client+worker ms")
            for local in (False, True):
                for eager in (False, True):
                    print(
                        await _mode(
                            client,
                            server,
                            activities=args.activities,
                            local=local,
                            eager=eager,
                            runs=args.runs,
                        ),
                        flush=True,
                    )
        finally:
            temporal.stop()


if __name__ == "__main__":
    asyncio.run(main())
