"""Run webhooks end to end: a run created with `webhook=` is POSTed to a real
local receiver once it ends, by a deployment whose langgraph.json allows loopback
http webhooks; the default deployment refuses loopback webhooks at creation."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Deployment
from langgraph_sdk import get_client
from langgraph_sdk.errors import UnprocessableEntityError

from steadygraph.dev.temporal_server import EmbeddedTemporal

CONFIG = Path(__file__).resolve().parents[1] / "graphs" / "webhooks_langgraph.json"
TOKEN = "e2e-webhook-token"  # fills ${{ env.LG_WEBHOOK_TEST_TOKEN }} in CONFIG's headers
QUESTION = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
FLAKY_ERROR = {"error": "FlakyError", "message": "flaky node failed on purpose"}
LOOPBACK_BLOCKED = {"detail": "Webhook host blocked: loopback IP range"}
WEBHOOK_WAIT_S = 20.0


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 recording each POST by path.

    `fail_first[path] = n` makes the first n POSTs to that path answer 500.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: dict[str, list[dict[str, Any]]] = {}
        self.headers: dict[str, list[dict[str, str]]] = {}
        self.fail_first: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                with receiver.lock:
                    receiver.bodies.setdefault(self.path, []).append(body)
                    receiver.headers.setdefault(self.path, []).append(
                        {k.lower(): v for k, v in self.headers.items()}
                    )
                    failing = receiver.fail_first.get(self.path, 0)
                    if failing:
                        receiver.fail_first[self.path] = failing - 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def new_url(self) -> tuple[str, str]:
        """A fresh path (one per test, so tests never see each other's POSTs) and its URL."""
        path = f"/hooks/{uuid.uuid4().hex}"
        return path, f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def received(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.bodies.get(path, []))

    def received_headers(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return list(self.headers.get(path, []))

    async def wait_for(self, path: str, count: int = 1) -> list[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + WEBHOOK_WAIT_S
        while len(bodies := self.received(path)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{len(bodies)} of {count} webhook POSTs to {path} arrived")
            await asyncio.sleep(0.05)
        return bodies

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(scope="module")
def webhook_url(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A deployment of tests/graphs with CONFIG's `webhooks` block."""
    extra_env = {"LG_WEBHOOK_TEST_TOKEN": TOKEN}
    if database_url:
        extra_env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(
        temporal_server.address,
        tmp_path_factory.mktemp("webhooks"),
        config=CONFIG,
        extra_env=extra_env,
    )
    try:
        yield deployment.start().url
    finally:
        deployment.stop()


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


async def test_a_finished_run_is_posted_to_its_webhook(
    webhook_url: str, receiver: Receiver
) -> None:
    client = get_client(url=webhook_url)
    thread = await client.threads.create()
    path, url = receiver.new_url()

    run = await client.runs.create(thread["thread_id"], "agent", input=QUESTION, webhook=url)
    assert run["kwargs"]["webhook"] == url
    joined = await client.runs.join(thread["thread_id"], run["run_id"])
    [body] = await receiver.wait_for(path)

    assert body["run_id"] == run["run_id"]
    assert body["status"] == "success"
    assert body["values"]["messages"][-1]["type"] == "ai"
    assert body["values"]["messages"][-1]["content"]
    assert body["values"] == joined
    assert body["values"] == (await client.threads.get_state(thread["thread_id"]))["values"]
    # The run object, as GET /threads/{tid}/runs/{rid} shows it.
    stored = await client.runs.get(thread["thread_id"], run["run_id"])
    assert {key: body.get(key) for key in stored} == stored
    started, ended = _time(body["run_started_at"]), _time(body["run_ended_at"])
    assert _time(run["created_at"]) <= started <= ended <= _time(body["webhook_sent_at"])
    # The headers of CONFIG's webhooks block, with the env template resolved.
    [headers] = receiver.received_headers(path)
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["x-steadygraph-test"] == "webhooks"
    assert headers["content-type"] == "application/json"
    await asyncio.sleep(0.5)
    assert len(receiver.received(path)) == 1  # delivered once, not per step


async def test_a_failed_run_posts_its_error(webhook_url: str, receiver: Receiver) -> None:
    client = get_client(url=webhook_url)
    thread = await client.threads.create()
    path, url = receiver.new_url()

    run = await client.runs.create(thread["thread_id"], "flaky", input={}, webhook=url)
    assert await client.runs.join(thread["thread_id"], run["run_id"]) == {"__error__": FLAKY_ERROR}
    [body] = await receiver.wait_for(path)

    assert body["run_id"] == run["run_id"]
    assert body["status"] == "error"
    assert body["values"] == {"__error__": FLAKY_ERROR}
    assert body["error"] == FLAKY_ERROR
    assert body["run_started_at"] and body["run_ended_at"] and body["webhook_sent_at"]


async def test_a_refused_delivery_is_retried(webhook_url: str, receiver: Receiver) -> None:
    client = get_client(url=webhook_url)
    thread = await client.threads.create()
    path, url = receiver.new_url()
    receiver.fail_first[path] = 1

    run = await client.runs.create(thread["thread_id"], "agent", input=QUESTION, webhook=url)
    await client.runs.join(thread["thread_id"], run["run_id"])
    first, second = await receiver.wait_for(path, count=2)

    assert first["run_id"] == second["run_id"] == run["run_id"]
    assert second["status"] == "success"
    # The run itself is unaffected by its webhook's trouble.
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"


async def test_always_blocked_targets_are_refused_even_with_loopback_allowed(
    webhook_url: str,
) -> None:
    client = get_client(url=webhook_url)
    thread = await client.threads.create()
    async with httpx.AsyncClient(base_url=webhook_url, timeout=10) as http:
        response = await http.post(
            f"/threads/{thread['thread_id']}/runs",
            json={
                "assistant_id": "agent",
                "input": QUESTION,
                "webhook": "http://169.254.169.254/latest/meta-data",
            },
        )
    assert response.status_code == 422
    assert response.json() == {"detail": "Webhook host blocked: blocked IP range"}
    assert await client.runs.list(thread["thread_id"]) == []


async def test_loopback_webhooks_are_refused_by_default(server_url: str) -> None:
    """tests/graphs/langgraph.json has no `webhooks` block: LangGraph Server's defaults."""
    client = get_client(url=server_url)
    thread = await client.threads.create()

    with pytest.raises(UnprocessableEntityError, match="loopback IP range"):
        await client.runs.create(
            thread["thread_id"], "agent", input=QUESTION, webhook="http://127.0.0.1:9/hook"
        )
    async with httpx.AsyncClient(base_url=server_url, timeout=10) as http:
        response = await http.post(
            f"/threads/{thread['thread_id']}/runs",
            json={"assistant_id": "agent", "input": QUESTION, "webhook": "http://127.0.0.1:9/h"},
        )
    assert response.status_code == 422
    assert response.json() == LOOPBACK_BLOCKED

    assert await client.runs.list(thread["thread_id"]) == []
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"
