"""The worker's default text log has one line per run start and one per run
end, with the run, thread and graph ids, the status and the duration; with
STEADYGRAPH_LOG_FORMAT=json every line is a JSON object carrying them as fields."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from harness import Deployment, wait_until
from langgraph_sdk import get_client

from steadygraph.dev.temporal_server import EmbeddedTemporal


async def test_run_start_and_end_are_logged(deployment: Deployment) -> None:
    client = get_client(url=deployment.url)
    thread = await client.threads.create()
    input = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
    run = await client.runs.create(thread["thread_id"], "agent", input=input)
    await client.runs.join(thread["thread_id"], run["run_id"])

    run_id, thread_id = run["run_id"], thread["thread_id"]
    ended = re.compile(
        rf"run {run_id} ended: status=success thread={thread_id} graph=agent "
        r"duration=(\d+\.\d{3})s"
    )

    def log() -> str:  # the whole file: other tests share this worker
        return (deployment.data_dir / "worker.log").read_text(errors="replace")

    wait_until(lambda: ended.search(log()), 30, "the run's end line")
    text = log()
    assert f"run {run_id} started: thread={thread_id} graph=agent" in text
    match = ended.search(text)
    assert match is not None and 0 < float(match.group(1)) < 60


@pytest.fixture(scope="module")
def json_logging_deployment(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    env = {"STEADYGRAPH_LOG_FORMAT": "json"}
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(
        temporal_server.address, tmp_path_factory.mktemp("json-logs"), extra_env=env
    )
    try:
        yield deployment.start()
    finally:
        deployment.stop()


async def test_json_log_lines_carry_the_run(json_logging_deployment: Deployment) -> None:
    deployment = json_logging_deployment
    client = get_client(url=deployment.url)
    thread = await client.threads.create()
    input = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
    run = await client.runs.create(thread["thread_id"], "agent", input=input)
    await client.runs.join(thread["thread_id"], run["run_id"])

    def records() -> list[dict]:
        text = (deployment.data_dir / "worker.log").read_text(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        # Every log line is one JSON object, none in the text format.
        assert not [line for line in lines if re.match(r"\d{4}-\d\d-\d\d \d", line)]
        return [json.loads(line) for line in lines if line.startswith("{")]

    def ended() -> list[dict]:
        return [r for r in records() if r.get("run_id") == run["run_id"] and "status" in r]

    wait_until(ended, 30, "the run's end line")
    [end] = ended()
    assert end["level"] == "INFO" and end["logger"] == "steadygraph.runs"
    assert end["thread_id"] == thread["thread_id"] and end["graph_id"] == "agent"
    assert end["status"] == "success" and 0 < end["duration_s"] < 60
    assert end["message"].startswith(f"run {run['run_id']} ended: status=success")
    assert datetime.fromisoformat(end["time"]).tzinfo is not None
    started = [r for r in records() if r.get("run_id") == run["run_id"] and r is not end]
    assert started and started[0]["message"].startswith(f"run {run['run_id']} started")
    # Lines of other loggers, without a run, are JSON too.
    assert any("worker polling task queue" in r["message"] for r in records())
