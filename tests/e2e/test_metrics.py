"""What an operator scrapes: the API's `GET /metrics` (runs by status from
storage, HTTP requests by route template, open streams) and, when
STEADYGRAPH_WORKER_METRICS_ADDRESS is set, the Temporal SDK's worker metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from harness import Deployment, wait_until
from langgraph_sdk import get_client
from prometheus_client.parser import text_string_to_metric_families

from steadygraph.dev.temporal_server import EmbeddedTemporal, free_port

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _scrape(url: str) -> dict:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


async def test_runs_by_status_and_requests_by_route(server_url: str) -> None:
    before = await _scrape(server_url)
    client = get_client(url=server_url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=WEATHER)
    await client.runs.join(thread["thread_id"], run["run_id"])
    # Refused by the run's graph: an error, stored as one.
    failing = await client.runs.create(thread["thread_id"], "slow", input={"sleep_s": "x"})
    await client.runs.join(thread["thread_id"], failing["run_id"])
    statuses = {r["status"] for r in await client.runs.list(thread["thread_id"])}

    after = await _scrape(server_url)
    for status in statuses:
        stored = _value(after, "steadygraph_runs", status=status)
        assert stored >= _value(before, "steadygraph_runs", status=status) + 1
    assert _value(after, "steadygraph_runs_pending") >= 0
    # Durations of runs that started and ended: at least ours, of plausible length.
    timed = _value(after, "steadygraph_run_duration_seconds_count", status="success")
    assert timed >= _value(before, "steadygraph_run_duration_seconds_count", status="success") + 1
    seconds = _value(after, "steadygraph_run_duration_seconds_sum", status="success")
    assert 0 < seconds < 3600 * timed

    # Counted under the route's template, never the raw path with its ids.
    route = "/threads/{thread_id}/runs"
    created = _value(
        after, "steadygraph_http_requests_total", method="POST", route=route, status="200"
    )
    assert (
        created
        >= _value(
            before, "steadygraph_http_requests_total", method="POST", route=route, status="200"
        )
        + 2
    )
    assert not any(thread["thread_id"] in dict(labels).get("route", "") for _, labels in after)
    assert (
        _value(after, "steadygraph_http_request_duration_seconds_count", method="POST", route=route)
        >= 2
    )
    missing = _value(
        after, "steadygraph_http_requests_total", method="GET", route="<unrouted>", status="404"
    )
    async with httpx.AsyncClient(base_url=server_url) as http:
        assert (await http.get("/no/such/path")).status_code == 404
    again = await _scrape(server_url)
    assert (
        _value(
            again,
            "steadygraph_http_requests_total",
            method="GET",
            route="<unrouted>",
            status="404",
        )
        == missing + 1
    )


async def test_open_streams_are_counted(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()

    async def stream() -> None:
        async for _ in client.runs.stream(
            thread["thread_id"], "slow", input={"sleep_s": 3.0}, stream_mode="values"
        ):
            pass

    task = asyncio.create_task(stream())
    open_streams = 0.0
    for _ in range(100):  # while the run sleeps in its middle step
        open_streams = _value(
            await _scrape(server_url), "steadygraph_stream_subscribers", kind="run"
        )
        if open_streams >= 1 or task.done():
            break
        await asyncio.sleep(0.05)
    assert open_streams >= 1
    await task


def test_json_metrics_format(server_url: str) -> None:
    response = httpx.get(f"{server_url}/metrics", params={"format": "json"})
    assert response.status_code == 200
    runs = response.json()["runs"]
    assert runs["pending"] >= 0 and all(n >= 0 for n in runs["by_status"].values())


@pytest.fixture(scope="module")
def metered_deployment(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Deployment, str]]:
    address = f"127.0.0.1:{free_port()}"
    env = {"STEADYGRAPH_WORKER_METRICS_ADDRESS": address, "STEADYGRAPH_API_KEYS": "k1"}
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(
        temporal_server.address, tmp_path_factory.mktemp("metered"), extra_env=env
    )
    try:
        yield deployment.start(), address
    finally:
        deployment.stop()


async def test_worker_serves_temporal_sdk_metrics(
    metered_deployment: tuple[Deployment, str],
) -> None:
    deployment, address = metered_deployment
    client = get_client(url=deployment.url, api_key="k1")
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=WEATHER)
    await client.runs.join(thread["thread_id"], run["run_id"])

    def scraped() -> str:
        return httpx.get(f"http://{address}/metrics").text

    # The SDK's counters of the tasks that just ran this run's workflow and
    # steps (local activities: the default).
    step_latency = "temporal_local_activity_execution_latency"
    wait_until(lambda: step_latency in scraped(), 30, "SDK metrics")
    names = {family.name for family in text_string_to_metric_families(scraped())}
    assert {"temporal_workflow_completed", step_latency} <= names
    assert any(name.startswith("temporal_worker_task_slots") for name in names)


def test_metrics_need_no_api_key(metered_deployment: tuple[Deployment, str]) -> None:
    deployment, _ = metered_deployment
    assert httpx.get(f"{deployment.url}/threads/search").status_code in (401, 405)
    response = httpx.get(f"{deployment.url}/metrics")
    assert response.status_code == 200
    assert "steadygraph_http_requests_total" in response.text
