"""LangSmith shows one trace per run, rooted at a run whose id is the run id.

Every super-step is an `astream` call of its own; each must land in the run's
trace as a child of the run's root, across steps, workers and retries. The worker
traces with the real `langsmith` client to a LangSmith stand-in on a loopback port
(a fake key; nothing leaves the machine) that keeps the runs it is sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from harness import dedicated_deployment, wait_until
from langgraph_sdk import get_client

from steadygraph.dev.temporal_server import EmbeddedTemporal

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}

# What the langsmith client asks first: plain JSON batches (/runs/batch), not multipart.
INFO = {
    "version": "0.0.0-test",
    "batch_ingest_config": {
        "use_multipart_endpoint": False,
        "size_limit": 100,
        "size_limit_bytes": None,
        "scale_up_nthreads_limit": 16,
        "scale_up_qsize_trigger": 1000,
        "scale_down_nempty_trigger": 4,
    },
    "instance_flags": {},
}


class LangSmithStandIn:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        lock = threading.Lock()
        posted = self.posted

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._reply(INFO if self.path.rstrip("/").endswith("/info") else {})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                with lock:
                    if self.path.endswith("/runs/batch"):
                        posted.extend(body.get("post") or [])
                        posted.extend(body.get("patch") or [])
                    elif self.path.endswith("/runs"):
                        posted.append(body)
                self._reply({})

            def do_PATCH(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                with lock:
                    posted.append({**body, "id": self.path.rsplit("/", 1)[-1]})
                self._reply({})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def in_trace(self, trace_id: str) -> list[dict[str, Any]]:
        return [r for r in list(self.posted) if r.get("trace_id") == trace_id]


@pytest.fixture(scope="module")
def langsmith() -> Iterator[LangSmithStandIn]:
    stand_in = LangSmithStandIn()
    stand_in.thread.start()
    try:
        yield stand_in
    finally:
        stand_in.server.shutdown()
        stand_in.server.server_close()


@pytest.fixture(scope="module")
def traced_url(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    langsmith: LangSmithStandIn,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    env = {
        "LANGSMITH_TRACING": "true",
        "LANGSMITH_ENDPOINT": langsmith.endpoint,
        "LANGSMITH_API_KEY": "not-a-real-key",
        "LANGSMITH_PROJECT": "steadygraph-test",
    }
    with dedicated_deployment(
        temporal_server.address, database_url, tmp_path_factory.mktemp("langsmith"), extra_env=env
    ) as deployment:
        yield deployment.url


def _named(runs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in runs if r.get("name") == name]


def _wait_for_root(langsmith: LangSmithStandIn, run_id: str) -> dict[str, Any]:
    wait_until(
        lambda: any(r.get("id") == run_id for r in langsmith.in_trace(run_id)),
        60,
        f"run {run_id}'s root in LangSmith",
    )
    (root,) = [r for r in langsmith.in_trace(run_id) if r.get("id") == run_id]
    return root


async def test_a_multi_step_run_is_one_trace_rooted_at_the_run(
    traced_url: str, langsmith: LangSmithStandIn
) -> None:
    client = get_client(url=traced_url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=WEATHER)
    await client.runs.join(thread["thread_id"], run["run_id"])
    run_id = run["run_id"]

    root = _wait_for_root(langsmith, run_id)
    assert root.get("parent_run_id") is None and root["end_time"]
    assert root["dotted_order"].endswith(f"Z{run_id}")
    # The nodes of all three steps (agent, tools, agent), each in the run's trace.
    wait_until(
        lambda: len(_named(langsmith.in_trace(run_id), "agent")) >= 2,
        60,
        "both agent steps",
    )
    runs = langsmith.in_trace(run_id)
    assert _named(runs, "tools")
    # Each step's graph call is a direct child of the run's root.
    steps = [r for r in runs if r.get("parent_run_id") == run_id]
    assert len(steps) >= 3
    for traced in runs:
        assert traced["dotted_order"].startswith(root["dotted_order"])


async def test_retries_of_a_step_stay_in_the_run_trace(
    traced_url: str, langsmith: LangSmithStandIn
) -> None:
    client = get_client(url=traced_url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "flaky", input={})
    await client.runs.join(thread["thread_id"], run["run_id"])
    run_id = run["run_id"]

    root = _wait_for_root(langsmith, run_id)
    assert "FlakyError" in (root.get("error") or "")
    # STEADYGRAPH_STEP_MAX_ATTEMPTS=3 (tests/harness.py): three attempts of `fail`.
    wait_until(
        lambda: len(_named(langsmith.in_trace(run_id), "fail")) >= 3,
        60,
        "three attempts of the failing node",
    )


async def test_streamed_events_keep_their_own_root(traced_url: str) -> None:
    """Under the run's LangSmith root, clients still see LangGraph Server's events:
    the graph's chain is the root (no parents) and the run id is nobody's parent."""
    client = get_client(url=traced_url)
    thread = await client.threads.create()
    parts = [
        part
        async for part in client.runs.stream(
            thread["thread_id"], "agent", input=WEATHER, stream_mode="events"
        )
    ]
    run_id = next(p.data["run_id"] for p in parts if p.event == "metadata")
    events = [p.data for p in parts if p.event == "events"]
    assert events[0]["event"] == "on_chain_start" and events[0]["parent_ids"] == []
    assert all(run_id not in e["parent_ids"] for e in events)
