"""1,000 concurrent long runs on one worker process: each run is one node
that sleeps (bench/graphs/sleeper.py), each on its own thread. Reports how
fast the runs were accepted and started, how many ran at once, and the RSS
and CPU of the worker, the Temporal server and the API while all of them
wait (sampled for `--sample-s` seconds once the most are running).

    python bench/bench_sleepers.py [--runs 1000] [--sleep-s 180] [--backend sqlite]
        [--max-concurrent-steps 1000] [--no-drain]

A node's activity holds a worker slot (STEADYGRAPH_MAX_CONCURRENT_STEPS,
default 100) for as long as it sleeps and heartbeats meanwhile; the sleep must
outlast the ramp-up for all runs to wait at once. Exits 1 if a run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy import Bench, bench_deployment
from langgraph_sdk import get_client


async def _by_status(http: httpx.AsyncClient) -> dict[str, int]:
    response = await http.get("/metrics", params={"format": "json"})
    response.raise_for_status()
    return dict(response.json()["runs"]["by_status"])


def _usage(processes: dict[str, psutil.Process]) -> dict[str, tuple[float, float]]:
    """(RSS MiB, CPU seconds) of each process and its children."""
    usage = {}
    for name, process in processes.items():
        family = [process, *process.children(recursive=True)]
        rss = sum(p.memory_info().rss for p in family) / 2**20
        cpu = sum(p.cpu_times().user + p.cpu_times().system for p in family)
        usage[name] = (rss, cpu)
    return usage


async def _measure(bench: Bench, runs: int, sleep_s: float, sample_s: float, drain: bool) -> bool:
    client = get_client(url=bench.url, timeout=120)
    processes = bench.processes()
    idle = _usage(processes)
    print("  idle: " + ", ".join(f"{n} {rss:.0f} MiB" for n, (rss, _) in idle.items()))

    gate = asyncio.Semaphore(20)
    created: list[tuple[str, str]] = []

    async def one() -> None:
        async with gate:
            thread_id = (await client.threads.create())["thread_id"]
            run = await client.runs.create(thread_id, "sleeper", input={"sleep_s": sleep_s})
            created.append((thread_id, run["run_id"]))

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(runs)))
    accepted_s = time.monotonic() - started
    print(f"  {runs} runs accepted in {accepted_s:.1f} s ({runs / accepted_s:.0f}/s)")

    async with httpx.AsyncClient(base_url=bench.url, timeout=60) as http:
        peak, all_running_s = 0, None
        while time.monotonic() - started < sleep_s:
            status = await _by_status(http)
            running = status.get("running", 0)
            peak = max(peak, running)
            if running >= runs:
                all_running_s = time.monotonic() - started
                break
            await asyncio.sleep(1)
        print(
            f"  peak running {peak}"
            + (
                f"; all {runs} running {all_running_s:.1f} s after the first create"
                if all_running_s
                else ""
            )
        )
        before = _usage(processes)
        await asyncio.sleep(sample_s)
        after = _usage(processes)
        status = await _by_status(http)
        print(f"  while waiting ({sample_s:.0f} s, {status.get('running', 0)} running at the end):")
        for name in processes:
            rss, cpu0 = before[name]
            _, cpu1 = after[name]
            print(
                f"    {name:9} RSS {rss:6.0f} MiB (idle {idle[name][0]:.0f})  "
                f"CPU {100 * (cpu1 - cpu0) / sample_s:5.1f} % of a core"
            )
        if not drain:  # the deployment is stopped with the runs still sleeping
            return True
        deadline = time.monotonic() + sleep_s * 3 + 600
        while time.monotonic() < deadline:
            status = await _by_status(http)
            if status.get("pending", 0) + status.get("running", 0) == 0:
                break
            await asyncio.sleep(2)
        total_s = time.monotonic() - started
        print(f"  all ended {total_s:.0f} s after the first create: {status}")
    return status.get("success", 0) == runs


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--sleep-s", type=float, default=180)
    parser.add_argument("--sample-s", type=float, default=20)
    parser.add_argument("--max-concurrent-steps", type=int, default=1000)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--no-drain", action="store_true", help="stop after the sample, runs still sleeping"
    )
    args = parser.parse_args()
    env = {"STEADYGRAPH_MAX_CONCURRENT_STEPS": str(args.max_concurrent_steps)}
    ok = True
    for backend in args.backend or ["sqlite"]:
        print(f"{backend}, max concurrent steps {args.max_concurrent_steps}")
        with bench_deployment(backend, env) as bench:
            ok &= await _measure(
                bench, args.runs, args.sleep_s, args.sample_s, drain=not args.no_drain
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
