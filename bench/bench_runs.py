"""Benchmark of runs: create→join latency and throughput, against the in-process floor.

Against a running server (default http://127.0.0.1:8123):

    python bench/bench_runs.py --url http://127.0.0.1:8123

Or start a throwaway `steadygraph dev` (embedded Temporal + worker + API, SQLite in
a temporary directory, free loopback ports), benchmark it, and stop it:

    python bench/bench_runs.py --start --json /tmp/bench.json

Scenarios (see bench/README.md):

- server latency:    N sequential runs of `agent`, each on a fresh thread; the time
                     from just before `runs.create` to the return of `runs.join`.
- server throughput: M runs on M fresh threads, C in flight; completed runs / wall time.
- floor:             the same graph, imported from examples/agent.py and invoked
                     in-process with `graph.ainvoke` (no server, no checkpointer).
- floor + saver:     the same, compiled with LangGraph's `InMemorySaver` and a
                     thread_id per run (closer to what a server run does).

With --start, throughput scenarios also report CPU time per run of each process
(API, worker, Temporal server, this client), read with psutil.

Every loop has a fixed count and every run a timeout, so the script cannot hang.
It exits 1 if any run failed (and says which and why), 2 if the server did not start.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import psutil

from steadygraph.dev.deployment import DevServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "examples" / "langgraph.json"
EXAMPLE_AGENT = ROOT / "examples" / "agent.py"
GRAPH_ID = "agent"
QUESTION = "what's the weather in sf"

# A run that fails is reported with its reason; only the first few are printed in full.
MAX_REASONS_SHOWN = 5


# ---------------------------------------------------------------------------
# Results


@dataclass
class Scenario:
    """One measured scenario: per-run latencies of the runs that succeeded, and failures."""

    name: str
    attempted: int
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # Only for throughput scenarios: wall time of the whole batch.
    wall_s: float | None = None
    # Runs not attempted because the scenario was abandoned (too many failures).
    skipped: int = 0
    # Throughput scenarios: CPU seconds each process spent during the batch.
    cpu_s: dict[str, float] | None = None
    # Warm-up runs are left out of the table, but their failures still count.
    counted: bool = True

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def runs_per_s(self) -> float | None:
        if self.wall_s is None or self.wall_s <= 0:
            return None
        return self.ok / self.wall_s

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "name": self.name,
            "attempted": self.attempted,
            "ok": self.ok,
            "failed": len(self.failures),
            "skipped": self.skipped,
            "concurrency": self.concurrency,
            "counted": self.counted,
            "median_ms": statistics.median(lat) if lat else None,
            "p95_ms": p95(lat),
            "min_ms": lat[0] if lat else None,
            "max_ms": lat[-1] if lat else None,
            "wall_s": self.wall_s,
            "runs_per_s": self.runs_per_s,
            "cpu_ms_per_run": self.cpu_ms_per_run(),
        }

    def cpu_ms_per_run(self) -> dict[str, float] | None:
        if not self.cpu_s or not self.ok:
            return None
        return {name: seconds * 1000 / self.ok for name, seconds in self.cpu_s.items()}


def p95(values: list[float]) -> float | None:
    """The 95th percentile, interpolated between the two nearest observations."""
    if len(values) < 2:
        return values[0] if values else None
    # "inclusive": the observations span the whole range (numpy's default method).
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


# ---------------------------------------------------------------------------
# CPU accounting: on 2 cores, throughput is bounded by CPU per run, so say whose.

CpuSample = Callable[[], dict[str, float]]


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def own_cpu() -> dict[str, float]:
    return {"bench client": _cpu_seconds(psutil.Process())}


def _role(process: psutil.Process, root: psutil.Process) -> str:
    if process.pid == root.pid:
        return "api (dev process)"  # `steadygraph dev` serves the API itself
    args = process.cmdline()
    if "start-dev" in args:
        return "temporal server"
    if "worker" in args:
        return "worker"
    return process.name()


def tree_cpu(root_pid: int) -> CpuSample:
    """CPU seconds of `steadygraph dev` and its children, by role, plus this process."""
    root = psutil.Process(root_pid)

    def sample() -> dict[str, float]:
        totals = own_cpu()
        for process in [root, *root.children(recursive=True)]:
            try:
                label = _role(process, root)
                totals[label] = totals.get(label, 0.0) + _cpu_seconds(process)
            except psutil.Error:
                continue  # exited between listing and reading: its CPU is lost, rarely
        return totals

    return sample


# ---------------------------------------------------------------------------
# The runner shared by all scenarios

_NOT_READY = object()  # a throughput run whose preparation failed or was skipped


async def measure(
    name: str,
    count: int,
    concurrency: int,
    prepare: Callable[[], Awaitable[Any]],
    run: Callable[[Any], Awaitable[str | None]],
    *,
    timeout_s: float,
    max_failures: int,
    throughput: bool,
    counted: bool = True,
    cpu: CpuSample | None = own_cpu,
) -> Scenario:
    """Run `count` runs, at most `concurrency` at a time, timing each `run(prepared)`.

    `run` returns None on success or a short reason on failure; it is awaited under
    `timeout_s`, and an exception it raises is a failure with that exception as reason.

    `prepare()` (untimed) makes each run's fresh thread. For a throughput scenario
    all `count` preparations are done before the clock starts, so the wall time is
    runs only; for a latency scenario each run is prepared just before it starts.
    """
    scenario = Scenario(name, count, concurrency, counted=counted)
    # Stop starting new runs after `max_failures`: a broken server would otherwise
    # cost count x timeout_s before the script could say so.
    abandon = asyncio.Event()
    semaphore = asyncio.Semaphore(concurrency)

    async def one(prepared: Any) -> None:
        async with semaphore:
            if abandon.is_set():
                scenario.skipped += 1
                return
            start = time.perf_counter()
            try:
                reason = await asyncio.wait_for(run(prepared), timeout_s)
            except TimeoutError:
                reason = f"timed out after {timeout_s:g} s"
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
            elapsed_ms = (time.perf_counter() - start) * 1000
            if reason is None:
                scenario.latencies_ms.append(elapsed_ms)
            else:
                scenario.failures.append(reason)
                if len(scenario.failures) >= max_failures:
                    abandon.set()

    async def prepared_or_failure() -> tuple[Any, str | None]:
        try:
            return await asyncio.wait_for(prepare(), timeout_s), None
        except Exception as exc:
            return None, f"preparing the run: {type(exc).__name__}: {exc}"

    if throughput:
        prep_semaphore = asyncio.Semaphore(concurrency)

        async def bounded_prepare() -> Any:
            async with prep_semaphore:
                if abandon.is_set():
                    scenario.skipped += 1
                    return _NOT_READY
                value, failure = await prepared_or_failure()
                if failure is None:
                    return value
                scenario.failures.append(failure)
                if len(scenario.failures) >= max_failures:
                    abandon.set()
                return _NOT_READY

        prepared = await asyncio.gather(*(bounded_prepare() for _ in range(count)))
        ready = [value for value in prepared if value is not _NOT_READY]
        cpu_before = cpu() if cpu else {}
        start = time.perf_counter()
        await asyncio.gather(*(one(value) for value in ready))
        scenario.wall_s = time.perf_counter() - start
        if cpu:
            cpu_after = cpu()
            scenario.cpu_s = {
                name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after
            }
    else:
        for i in range(count):
            if abandon.is_set():
                scenario.skipped += count - i
                break
            value, failure = await prepared_or_failure()
            if failure is not None:
                scenario.failures.append(failure)
                if len(scenario.failures) >= max_failures:
                    abandon.set()
                continue
            await one(value)
    report_progress(scenario)
    return scenario


@dataclass(frozen=True)
class Step:
    name: str
    count: int
    concurrency: int
    throughput: bool
    counted: bool = True


def plan(args: argparse.Namespace, target: str) -> list[Step]:
    """Warm-up, latency and throughput for one target (server, floor, ...)."""
    steps = []
    if args.warmup:
        # First runs pay for connections, lazy imports, schema building, SQLite caches.
        steps.append(Step(f"{target} warm-up", args.warmup, 1, False, counted=False))
    steps.append(Step(f"{target} latency", args.sequential, 1, False))
    steps.append(Step(f"{target} throughput", args.runs, args.concurrency, True))
    return steps


async def run_plan(
    steps: list[Step],
    prepare: Callable[[], Awaitable[Any]],
    run: Callable[[Any], Awaitable[str | None]],
    args: argparse.Namespace,
    cpu: CpuSample | None = own_cpu,
) -> list[Scenario]:
    results: list[Scenario] = []
    for step in steps:
        if any(r.skipped for r in results):
            # The target was given up on: say so for the rest rather than wait again.
            scenario = Scenario(step.name, step.count, step.concurrency, counted=step.counted)
            scenario.skipped = step.count
            report_progress(scenario)
        else:
            scenario = await measure(
                step.name,
                step.count,
                step.concurrency,
                prepare,
                run,
                timeout_s=args.timeout,
                max_failures=args.max_failures,
                throughput=step.throughput,
                counted=step.counted,
                cpu=cpu,
            )
        results.append(scenario)
    return results


def report_progress(scenario: Scenario) -> None:
    s = scenario.summary()
    line = f"  {scenario.name}: {s['ok']}/{s['attempted']} ok"
    if s["median_ms"] is not None:
        line += f", median {s['median_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms"
    if s["runs_per_s"] is not None:
        line += f", {s['runs_per_s']:.1f} runs/s"
    print(line, flush=True)
    for reason in scenario.failures[:MAX_REASONS_SHOWN]:
        print(f"    FAILED: {reason}", flush=True)
    if len(scenario.failures) > MAX_REASONS_SHOWN:
        print(f"    ... and {len(scenario.failures) - MAX_REASONS_SHOWN} more failures")
    if scenario.skipped:
        print(f"    {scenario.skipped} runs not attempted: too many failures", flush=True)
    if s["cpu_ms_per_run"]:
        print(f"    CPU per run: {cpu_line(scenario)}", flush=True)


def cpu_line(scenario: Scenario) -> str:
    per_run = scenario.cpu_ms_per_run() or {}
    parts = [f"{name} {ms:.1f} ms" for name, ms in sorted(per_run.items(), key=lambda i: -i[1])]
    total_s = sum((scenario.cpu_s or {}).values())
    busy = ""
    if scenario.wall_s:
        # How many cores were busy on average: near os.cpu_count() means CPU-bound.
        busy = f"; {total_s / scenario.wall_s:.2f} of {os.cpu_count()} cores busy"
    return f"total {sum(per_run.values()):.1f} ms ({', '.join(parts)}){busy}"


# ---------------------------------------------------------------------------
# Server scenarios (langgraph_sdk against the HTTP API)


def check_answer(messages: Any, expected: str) -> str | None:
    """None if the last message is the agent's final AI answer, else why not.

    `messages` is a list of message dicts (server) or of LangChain messages (floor).
    """
    if not isinstance(messages, list) or not messages:
        return f"no messages in the result: {str(messages)[:300]}"
    last = messages[-1]
    if isinstance(last, dict):
        kind, content = last.get("type"), last.get("content")
    else:
        kind, content = getattr(last, "type", None), getattr(last, "content", None)
    if kind != "ai" or content != expected:
        return f"last message is {kind!r} {str(content)[:200]!r}, not the AI answer"
    return None


async def server_scenarios(
    url: str, args: argparse.Namespace, answer: str, cpu: CpuSample | None
) -> list[Scenario]:
    from langgraph_sdk import get_client

    # api_key=None: never pick up a LangSmith key from the environment. The HTTP read
    # timeout is a little longer than the per-run timeout, so the latter is what fires.
    client = get_client(
        url=url,
        api_key=None,
        timeout=(5, args.timeout + 5, 30, args.timeout),  # connect, read, write, pool
    )
    run_input: dict[str, Any] = {"messages": [{"role": "human", "content": QUESTION}]}

    async def new_thread() -> str:
        thread = await client.threads.create()
        return str(thread["thread_id"])

    async def create_and_join(thread_id: str) -> str | None:
        run = await client.runs.create(thread_id, GRAPH_ID, input=run_input)
        joined = await client.runs.join(thread_id, run["run_id"])
        if not isinstance(joined, dict):
            return f"run {run['run_id']}: join returned {str(joined)[:300]}"
        problem = check_answer(joined.get("messages"), answer)
        if problem is None:
            return None
        # A failed run is worth one more request to say why; its time is discarded anyway.
        status: str
        try:
            status = (await client.runs.get(thread_id, run["run_id"]))["status"]
        except Exception as exc:
            status = f"unknown ({type(exc).__name__})"
        return f"run {run['run_id']} (status {status}): {problem}; join: {str(joined)[:300]}"

    try:
        return await run_plan(plan(args, "server"), new_thread, create_and_join, args, cpu)
    finally:
        await client.aclose()


# ---------------------------------------------------------------------------
# Floor scenarios (the same graph in-process, no server)


def load_agent_module() -> ModuleType:
    """examples/agent.py is not a package module: load it from its path."""
    spec = importlib.util.spec_from_file_location("bench_example_agent", EXAMPLE_AGENT)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {EXAMPLE_AGENT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def floor_scenarios(agent: ModuleType, args: argparse.Namespace) -> list[Scenario]:
    from langgraph.checkpoint.memory import InMemorySaver

    answer: str = agent.SF_ANSWER
    plain = agent.graph  # compiled without a checkpointer, as the server receives it
    saved = agent.graph.builder.compile(checkpointer=InMemorySaver())

    def runner(graph: Any, with_thread: bool) -> tuple[Callable[[], Awaitable[Any]], Any]:
        async def prepare() -> dict[str, Any]:
            # A fresh thread per run, like the server scenarios' threads.create().
            return {"configurable": {"thread_id": str(uuid.uuid4())}} if with_thread else {}

        async def run(config: dict[str, Any]) -> str | None:
            # A fresh input dict per run: the graph must not share state between runs.
            run_input = {"messages": [{"role": "human", "content": QUESTION}]}
            result = await graph.ainvoke(run_input, config)
            return check_answer(result.get("messages"), answer)

        return prepare, run

    results: list[Scenario] = []
    for label, graph, with_thread in (
        ("floor", plain, False),
        ("floor + InMemorySaver", saved, True),
    ):
        prepare, run = runner(graph, with_thread)
        results += await run_plan(plan(args, label), prepare, run, args)
    return results


# ---------------------------------------------------------------------------
# --start: a throwaway `steadygraph dev`


def start_dev_server(startup_timeout_s: float) -> DevServer:
    """`steadygraph dev` on the example project, on free loopback ports, with the
    embedded Temporal and SQLite in a temporary data dir."""
    server = DevServer(
        data_dir=Path(tempfile.mkdtemp(prefix="steadygraph-bench-")),
        config=EXAMPLE_CONFIG,
        startup_timeout_s=startup_timeout_s,
    )
    print(f"starting: {shlex.join(server.command)}", flush=True)
    server.start()
    assert server.process is not None
    print(f"  pid {server.process.pid}, log {server.log_path}", flush=True)
    return server


def stop_dev_server(server: DevServer, *, keep_data: bool = False) -> None:
    server.stop(timeout=30)
    if not keep_data:
        shutil.rmtree(server.data_dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# Output


def table(scenarios: list[Scenario]) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    header = (
        "scenario",
        "n",
        "failed",
        "conc",
        "median ms",
        "p95 ms",
        "min ms",
        "max ms",
        "runs/s",
    )
    rows = [header]
    for scenario in scenarios:
        if not scenario.counted:
            continue
        s = scenario.summary()
        rows.append(
            (
                s["name"],
                str(s["attempted"]),
                str(s["failed"] + s["skipped"]),
                str(s["concurrency"]),
                ms(s["median_ms"]),
                ms(s["p95_ms"]),
                ms(s["min_ms"]),
                ms(s["max_ms"]),
                "-" if s["runs_per_s"] is None else f"{s['runs_per_s']:.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(
    path: Path, command: str, url: str | None, args: argparse.Namespace, scenarios: list[Scenario]
) -> None:
    document = {
        "command": command,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "url": url,
        "started_server": args.start,
        "options": {
            "sequential": args.sequential,
            "runs": args.runs,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "timeout_s": args.timeout,
        },
        "scenarios": [{**s.summary(), **asdict(s)} for s in scenarios],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


# ---------------------------------------------------------------------------
# Main


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--url",
        default="http://127.0.0.1:8123",
        help="a running server to benchmark (default http://127.0.0.1:8123)",
    )
    where.add_argument(
        "--start",
        action="store_true",
        help="start a throwaway `steadygraph dev` on free loopback ports, then stop it",
    )
    parser.add_argument("--sequential", type=_positive, default=50, help="latency runs (50)")
    parser.add_argument("--runs", type=_positive, default=200, help="throughput runs (200)")
    parser.add_argument("--concurrency", type=_positive, default=20, help="in flight (20)")
    parser.add_argument(
        "--warmup", type=_non_negative, default=5, help="sequential runs first, not counted (5)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="per-run timeout, s (60)")
    parser.add_argument(
        "--max-failures",
        type=_positive,
        default=10,
        help="abandon a scenario after this many failed runs (10)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--no-server", action="store_true", help="only the in-process floor")
    parser.add_argument("--no-floor", action="store_true", help="only the server scenarios")
    return parser


async def _server_part(
    url: str, args: argparse.Namespace, answer: str, cpu: CpuSample | None = None
) -> list[Scenario]:
    print(f"\nserver at {url}", flush=True)
    return await server_scenarios(url, args, answer, cpu)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.no_server and args.start:
        raise SystemExit("--start and --no-server contradict each other")
    command = shlex.join(sys.orig_argv) if argv is None else shlex.join(argv)
    # The agent module defines the expected answer for both the server and the floor.
    agent = load_agent_module()
    scenarios: list[Scenario] = []
    url: str | None = None if args.no_server else args.url

    if not args.no_server:
        if args.start:
            try:
                server = start_dev_server(startup_timeout_s=120)
            except RuntimeError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            url = server.url
            pid = server.process.pid if server.process else None
            keep_data = True  # unless the server part completes without a failure
            try:
                # Only a server started here can have its processes' CPU counted.
                cpu = tree_cpu(pid) if pid else None
                scenarios += asyncio.run(_server_part(url, args, agent.SF_ANSWER, cpu))
                keep_data = any(s.failures or s.skipped for s in scenarios)
            finally:
                # Stopped before the floor, so the floor runs on an idle machine.
                stop_dev_server(server, keep_data=keep_data)
                print(f"  stopped steadygraph dev (pid {pid})", flush=True)
                if keep_data:
                    print(f"  kept its data dir and log for a post-mortem: {server.data_dir}")
        else:
            # Fail fast: the SDK retries refused connections for seconds per request.
            try:
                httpx.get(f"{args.url}/ok", timeout=5).raise_for_status()
            except httpx.HTTPError as exc:
                print(f"error: no server answering GET {args.url}/ok: {exc}", file=sys.stderr)
                return 2
            scenarios += asyncio.run(_server_part(args.url, args, agent.SF_ANSWER))

    if not args.no_floor:
        print("\nin-process floor (examples/agent.py, no server)", flush=True)
        scenarios += asyncio.run(floor_scenarios(agent, args))

    print(f"\n{table(scenarios)}\n")
    for scenario in scenarios:
        if scenario.counted and scenario.cpu_ms_per_run():
            print(f"CPU per run, {scenario.name}: {cpu_line(scenario)}")
    print(
        f"runs: `{GRAPH_ID}` (agent -> tools -> agent), per-run timeout {args.timeout:g} s, "
        f"{args.warmup} warm-up runs per target; {os.cpu_count()} CPUs; "
        f"latency = runs.create -> runs.join return (server) or ainvoke (floor)"
    )
    print(f"command: {command}")
    if args.json:
        write_json(args.json, command, url, args, scenarios)
        print(f"json: {args.json}")
    failed = sum(len(s.failures) + s.skipped for s in scenarios)
    if failed:
        print(f"\n{failed} runs failed or were not attempted: see FAILED lines above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
