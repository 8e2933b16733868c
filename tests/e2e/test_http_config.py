"""Browsers and langgraph.json's `http` section against a real `steadygraph api`:
CORS preflights, JSON bodies sent as text/plain, the user's own app mounted
beside ours, `disable_*` flags and keys that are reported instead of ignored."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from harness import ROOT, Deployment

from steadygraph.dev.temporal_server import EmbeddedTemporal

CUSTOM_APP = ROOT / "tests" / "projects" / "custom_app" / "langgraph.json"
PREFLIGHT = {
    "Origin": "http://localhost:5173",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-api-key",
}


async def test_browser_preflight_is_answered_for_any_origin(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as http:
        preflight = await http.options("/threads/search", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()

        found = await http.post(
            "/assistants/search", json={"limit": 1}, headers={"Origin": "http://localhost:5173"}
        )
        assert found.status_code == 200
        assert found.headers["access-control-allow-origin"] == "*"
        # The SDK pages with x-pagination-* and finds created runs by content-location.
        exposed = found.headers["access-control-expose-headers"].lower()
        assert {"x-pagination-total", "x-pagination-next", "content-location"} <= set(
            exposed.replace(" ", "").split(",")
        )


async def test_json_body_sent_as_text_plain_is_read_as_json(deployment: Deployment) -> None:
    # What a browser's fetch() sends for a string body when it avoids a preflight.
    async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as http:
        created = await http.post(
            "/threads",
            content=json.dumps({"metadata": {"sent_as": "text/plain"}}),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        assert created.status_code == 200, created.text
        assert created.json()["metadata"]["sent_as"] == "text/plain"

        broken = await http.post(
            "/threads", content="{not json", headers={"Content-Type": "text/plain"}
        )
        assert broken.status_code == 422
        assert broken.json() == {"detail": "Invalid JSON in request body"}


async def test_user_app_and_http_section(temporal_server: EmbeddedTemporal, tmp_path: Path) -> None:
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", config=CUSTOM_APP)
    deployment.start()
    try:
        async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as http:
            hello = await http.get("/hello")
            assert hello.status_code == 200
            # langgraph.json's env reached the user's module; its lifespan ran.
            assert hello.json() == {"greeting": "hello from the user's app", "lifespan_ran": True}
            assert hello.headers["x-user-middleware"] == "ran"

            # The user's middleware wraps our routes too, as in LangGraph Server.
            found = await http.post("/assistants/search", json={})
            assert found.status_code == 200
            assert found.headers["x-user-middleware"] == "ran"

            # The user's routes get their body as sent.
            echoed = await http.post(
                "/echo-text", content="plain words", headers={"Content-Type": "text/plain"}
            )
            assert echoed.json() == {"content_type": "text/plain", "body": "plain words"}

            # disable_store and disable_meta: unserved, /ok stays. (The user's
            # FastAPI app serves its own /docs when ours are off.)
            assert (await http.post("/store/items/search", json={})).status_code == 404
            assert (await http.get("/info")).status_code == 404
            assert "/hello" in (await http.get("/openapi.json")).json()["paths"]
            assert (await http.get("/ok")).json() == {"ok": True}

            # http.configurable_headers: the picked headers reach the run's config
            # (credentials never do).
            thread = (await http.post("/threads", json={})).json()
            run = await http.post(
                f"/threads/{thread['thread_id']}/runs",
                json={"assistant_id": "agent", "input": {"messages": []}},
                headers={
                    "x-org-name": "acme",
                    "x-org-secret": "s3cret",
                    "x-user-id": "u-1",
                    "x-other": "no",
                    "authorization": "Bearer t",
                },
            )
            assert run.status_code == 200, run.text
            configurable = run.json()["kwargs"]["config"]["configurable"]
            assert configurable["x-org-name"] == "acme"
            assert configurable["x-user-id"] == "u-1"
            assert not {"x-org-secret", "x-other", "authorization"} & set(configurable)

            # http.cors replaces the permissive default.
            allowed = await http.options(
                "/threads",
                headers={
                    **PREFLIGHT,
                    "Origin": "http://allowed.example",
                    "Access-Control-Request-Headers": "content-type",
                },
            )
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == "http://allowed.example"
            assert allowed.headers["access-control-max-age"] == "60"
            refused = await http.options("/threads", headers=PREFLIGHT)
            assert refused.status_code == 400
            assert "access-control-allow-origin" not in refused.headers
    finally:
        deployment.stop()


def _start(config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`steadygraph api` against a Temporal address nobody listens on: it either
    stops on the config (exit 2) or gets past it and fails to connect."""
    return subprocess.run(
        [sys.executable, "-P", "-m", "steadygraph", "api", "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "TEMPORAL_ADDRESS": "127.0.0.1:1",
            # Nobody will listen there: fail at once instead of waiting for Temporal.
            "STEADYGRAPH_CONNECT_TIMEOUT": "0",
            "STEADYGRAPH_DATA_DIR": str(tmp_path / "data"),
        },
    )


def _project(tmp_path: Path, **keys: object) -> Path:
    (tmp_path / "agent.py").write_text((ROOT / "examples" / "agent.py").read_text())
    config = tmp_path / "langgraph.json"
    config.write_text(
        json.dumps({"dependencies": ["."], "graphs": {"agent": "./agent.py:graph"}, **keys})
    )
    return config


def test_typo_in_a_key_stops_startup_naming_it(tmp_path: Path) -> None:
    result = _start(_project(tmp_path, htpp={"cors": {}}), tmp_path)
    assert result.returncode == 2, result.stderr
    assert "unknown key 'htpp' (did you mean 'http'?)" in result.stderr
    assert "Traceback" not in result.stderr

    nested = _start(_project(tmp_path, http={"disable_thread": True}), tmp_path)
    assert nested.returncode == 2, nested.stderr
    assert "unknown key 'http.disable_thread' (did you mean 'http.disable_threads'?)" in (
        nested.stderr
    )


def test_unsupported_keys_stop_startup_or_warn_naming_them(tmp_path: Path) -> None:
    refused = _start(_project(tmp_path, checkpointer={"path": "./saver.py:saver"}), tmp_path)
    assert refused.returncode == 2
    assert "langgraph.json: checkpointer.path: a custom checkpointer is not supported" in (
        refused.stderr
    )

    warned = _start(
        _project(
            tmp_path,
            ui={"agent": "./ui.tsx"},
            python_version="3.12",
            dockerfile_lines=["RUN true"],
        ),
        tmp_path,
    )
    lines = [line for line in warned.stderr.splitlines() if "warning:" in line]
    assert lines[0] == (
        "steadygraph: warning: langgraph.json: python_version, dockerfile_lines: only used by "
        "`langgraph build` for a Docker image; Steadygraph runs in the Python environment it "
        "was started from"
    )
    assert lines[1].startswith("steadygraph: warning: langgraph.json: ui: generative UI")
    assert len(lines) == 2


async def test_checkpointer_ttl_is_the_default_thread_ttl(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    from langgraph_sdk import get_client
    from langgraph_sdk.errors import NotFoundError
    from temporalio.client import Client

    from steadygraph.threads.ttl_schedule import sweep_schedule_id

    config = _project(tmp_path, checkpointer={"ttl": {"default_ttl": 0.001, "strategy": "delete"}})
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", config=config)
    deployment.start()
    try:
        client = get_client(url=deployment.url)
        expiring = await client.threads.create()  # gets checkpointer.ttl
        lasting = await client.threads.create(ttl={"strategy": "delete", "ttl": 60})
        await asyncio.sleep(0.2)
        temporal = await Client.connect(temporal_server.address)
        await temporal.get_schedule_handle(sweep_schedule_id(deployment.task_queue)).trigger()
        for _ in range(100):
            try:
                await client.threads.get(expiring["thread_id"])
            except NotFoundError:
                break
            await asyncio.sleep(0.1)
        with pytest.raises(NotFoundError):
            await client.threads.get(expiring["thread_id"])
        assert (await client.threads.get(lasting["thread_id"]))["thread_id"] == lasting["thread_id"]
    finally:
        deployment.stop()
