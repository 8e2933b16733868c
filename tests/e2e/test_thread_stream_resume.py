"""A thread-stream session that loses its connections, to a network drop or to
an API restart, resumes where it was: no event lost, none twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Deployment
from langgraph_sdk import get_client

from steadygraph.dev.processes import stop
from steadygraph.dev.temporal_server import EmbeddedTemporal

ALL_CHANNELS = ["values", "updates", "messages", "tools", "lifecycle", "input", "tasks", "custom"]
TIMEOUT = 90


class DroppingProxy:
    """A TCP proxy in front of the API whose connections can be cut at once,
    as a network drop cuts them; new connections go through again."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> DroppingProxy:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.drop()
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def drop(self) -> int:
        links = list(self._links)
        for client, upstream in links:
            client.transport.abort()
            upstream.transport.abort()
        self._links.clear()
        return len(links)

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, up_writer)
        self._links.add(link)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._links.discard(link)


async def _session_events(thread: Any) -> list[dict[str, Any]]:
    # The subscription ends with the run's final lifecycle event.
    return [event async for event in thread.subscribe(ALL_CHANNELS)]


async def _reference(server_url: str, thread_id: str) -> list[dict[str, Any]]:
    """The thread's first run as a fresh reader sees it, read back from the log."""
    seen: list[dict[str, Any]] = []
    body = {"channels": ALL_CHANNELS, "since": 0}
    async with httpx.AsyncClient(base_url=server_url, timeout=TIMEOUT) as http:
        async with http.stream("POST", f"/threads/{thread_id}/stream/events", json=body) as r:
            async for line in r.aiter_lines():
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[6:])
                seen.append(event)
                data = event["params"]["data"]
                if event["method"] == "lifecycle" and not event["params"]["namespace"]:
                    if data["event"] in ("completed", "failed"):
                        return seen
    return seen


def _marked(marker: Path, mark: str) -> bool:
    return marker.exists() and mark in marker.read_text()


async def _wait_for_mark(marker: Path, mark: str) -> None:
    for _ in range(TIMEOUT * 20):
        if _marked(marker, mark):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {mark}")


def _ids(events: list[dict[str, Any]]) -> list[str]:
    return [event["event_id"] for event in events]


async def test_dropped_connections_resume_without_loss_or_duplicates(
    server_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "marks.txt"
    port = int(server_url.rsplit(":", 1)[1])
    async with DroppingProxy(port) as proxy:
        client = get_client(url=proxy.url)
        async with client.threads.stream(assistant_id="slow") as thread:
            await thread.run.start(input={"marker_file": str(marker), "sleep_s": 1.5})
            events = asyncio.create_task(_session_events(thread))
            await _wait_for_mark(marker, "step2:start")
            assert proxy.drop() >= 2  # the shared stream and the lifecycle watcher
            await _wait_for_mark(marker, "step3:start")
            assert proxy.drop() >= 2  # again, while the last steps' events flow
            output = await asyncio.wait_for(thread.output, TIMEOUT)
            seen = await asyncio.wait_for(events, TIMEOUT)
    assert output["visited"] == ["step1", "step2", "step3"]
    reference = await _reference(server_url, thread.thread_id)
    assert _ids(seen) == _ids(reference)
    assert [e["seq"] for e in seen] == sorted({e["seq"] for e in seen})


async def test_session_resumes_across_an_api_restart(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    env = {"STEADYGRAPH_DATABASE_URL": database_url} if database_url else {}
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env).start()
    marker = tmp_path / "marks.txt"
    try:
        client = get_client(url=deployment.url)
        async with client.threads.stream(assistant_id="slow") as thread:
            # The SDK's own reconnect knobs: a restart takes longer than its
            # default budget of five quick attempts.
            thread._shared_max_reconnect_attempts = 200
            thread._shared_reconnect_backoff_cap = 0.3
            thread._lifecycle_max_reconnect_attempts = 1000
            await thread.run.start(input={"marker_file": str(marker), "sleep_s": 4})
            events = asyncio.create_task(_session_events(thread))
            await _wait_for_mark(marker, "step2:start")
            assert deployment.api is not None
            stop(deployment.api)  # the run goes on in the worker meanwhile
            deployment.api = None
            deployment.start_api()
            output = await asyncio.wait_for(thread.output, TIMEOUT)
            seen = await asyncio.wait_for(events, TIMEOUT)
        assert output["visited"] == ["step1", "step2", "step3"]
        reference = await _reference(deployment.url, thread.thread_id)
        assert _ids(seen) == _ids(reference)
        assert {"step2", "step3"} <= {
            node for e in seen if e["method"] == "updates" for node in [e["params"]["data"]["node"]]
        }
    finally:
        deployment.stop()


async def test_an_api_shutting_down_drops_thread_streams_for_the_sdk_to_reconnect(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    """A thread stream the API ends cleanly is over for the SDK (the run's
    output fails); one whose connection drops is reconnected. So on SIGTERM
    the API drops it, never ends it."""
    deployment = Deployment(temporal_server.address, tmp_path / "deploy").start()
    try:
        thread = await get_client(url=deployment.url).threads.create()
        url = f"{deployment.url}/threads/{thread['thread_id']}/stream/events"
        async with (
            httpx.AsyncClient(timeout=TIMEOUT) as http,
            http.stream("POST", url, json={"channels": ["lifecycle"]}) as response,
        ):
            assert response.status_code == 200
            assert deployment.api is not None
            stop(deployment.api)
            deployment.api = None
            with pytest.raises(httpx.RemoteProtocolError):
                async for _ in response.aiter_raw():
                    pass
    finally:
        deployment.stop()
