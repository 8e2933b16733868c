"""A run of 2,000 super-steps (tests/graphs/loop.py, one node in a loop, with
`recursion_limit` above that) on SQLite and PostgreSQL: wall time, time per
step, and the chain of executions its RunWorkflow continued as new through
(events and history bytes of each, read from Temporal).

    python bench/bench_long_run.py [--steps 2000] [--backend sqlite --backend postgres]
        [--steps-per-execution N]   # default: the workflow's own (500)

Also reports what a run of 30 steps does with LangGraph's default
recursion_limit (25). Exits 1 if a run does not succeed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy import bench_deployment
from langgraph_sdk import get_client
from temporalio.client import Client


async def _long_run(url: str, temporal_address: str, steps: int) -> bool:
    client = get_client(url=url, timeout=600)
    thread_id = (await client.threads.create())["thread_id"]
    started = time.monotonic()
    run = await client.runs.create(
        thread_id, "loop", input={"target": steps}, config={"recursion_limit": steps + 10}
    )
    await asyncio.wait_for(client.runs.join(thread_id, run["run_id"]), 3600)
    wall = time.monotonic() - started
    status = (await client.runs.get(thread_id, run["run_id"]))["status"]
    values = (await client.threads.get_state(thread_id))["values"]
    count = values.get("count") if isinstance(values, dict) else None
    print(
        f"  {steps} steps: {status}, count={count}, {wall:.1f} s, {wall / steps * 1000:.1f} ms/step"
    )

    temporal = await Client.connect(temporal_address)
    executions = [e async for e in temporal.list_workflows(f"WorkflowId = '{run['run_id']}'")]
    for execution in reversed(executions):
        described = await temporal.get_workflow_handle(
            run["run_id"], run_id=execution.run_id
        ).describe()
        info = described.raw_description.workflow_execution_info
        ended = execution.status.name if execution.status else "?"
        print(
            f"    execution {execution.run_id[:8]}: {info.history_length} events, "
            f"{info.history_size_bytes / 1024:.0f} KiB, {ended}"
        )
    return status == "success" and count == steps


async def _default_recursion_limit(url: str) -> None:
    client = get_client(url=url, timeout=60)
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(thread_id, "loop", input={"target": 30})
    result = await client.runs.join(thread_id, run["run_id"])
    status = (await client.runs.get(thread_id, run["run_id"]))["status"]
    error = result.get("__error__") if isinstance(result, dict) else None
    print(f"  30 steps with the default recursion_limit (25): {status} {error or ''}")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--steps-per-execution", type=int)
    args = parser.parse_args()
    env = {}
    if args.steps_per_execution:
        env["STEADYGRAPH_STEPS_PER_EXECUTION"] = str(args.steps_per_execution)
    ok = True
    for backend in args.backend or ["sqlite", "postgres"]:
        print(backend)
        with bench_deployment(backend, env) as bench:
            ok &= await _long_run(bench.url, bench.temporal.address, args.steps)
            await _default_recursion_limit(bench.url)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
