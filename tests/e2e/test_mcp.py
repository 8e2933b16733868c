"""Every assistant as an MCP tool, through the real `mcp` client (streamable HTTP).

A tool call is an ordinary run: a Temporal workflow, there to see afterwards.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from harness import TEST_GRAPHS, Deployment
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from temporalio.client import Client as TemporalClient
from temporalio.client import WorkflowExecutionStatus

from steadygraph.dev.temporal_server import EmbeddedTemporal

SERVED_GRAPHS = {"agent", "slow", "flaky", "hitl", "nested", "nested_hitl"}
SF_ANSWER = "The weather in San Francisco is 60 degrees and foggy."
JSON_AND_SSE = {"Accept": "application/json, text/event-stream"}


@asynccontextmanager
async def mcp_client(server_url: str) -> AsyncIterator[Client]:
    # mode="auto": the client first probes `server/discover` (a newer protocol
    # era), gets "method not found" and falls back to `initialize`.
    async with Client(f"{server_url}/mcp", read_timeout_seconds=120) as client:
        yield client


async def test_tools_list_has_one_tool_per_assistant(server_url: str) -> None:
    async with mcp_client(server_url) as client:
        listed = await client.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    assert SERVED_GRAPHS <= set(tools)
    agent = tools["agent"]
    assert agent.description
    # The graph's `messages` (LangChain message classes) become plain text.
    assert agent.input_schema["type"] == "object"
    assert agent.input_schema["properties"]["messages"]["type"] == "string"
    assert "$defs" not in json.dumps(agent.input_schema["properties"])
    slow = tools["slow"].input_schema
    assert {"marker_file", "sleep_s", "visited"} <= set(slow["properties"])


async def test_call_the_example_agent_is_a_durable_run(
    server_url: str, temporal_server: EmbeddedTemporal
) -> None:
    async with mcp_client(server_url) as client:
        result = await client.call_tool("agent", {"messages": "what's the weather in sf"})
    assert not result.is_error
    output = result.structured_content
    assert output is not None
    assert output["messages"][-1]["content"] == SF_ANSWER
    assert json.loads(result.content[0].text) == output
    # The call was a run like any other: its workflow is in Temporal's history.
    run_id = result.meta["steadygraph/run_id"]
    temporal = await TemporalClient.connect(temporal_server.address)
    handle = temporal.get_workflow_handle(run_id)
    # The answer comes once the run succeeded; its workflow then drops the
    # stateless run's thread and completes.
    await asyncio.wait_for(handle.result(), timeout=60)
    described = await handle.describe()
    assert described.workflow_type == "RunWorkflow"
    assert described.status == WorkflowExecutionStatus.COMPLETED


async def test_a_failing_graph_is_a_tool_error(server_url: str) -> None:
    async with mcp_client(server_url) as client:
        result = await client.call_tool("flaky", {})
    assert result.is_error
    assert "flaky node failed on purpose" in result.content[0].text


async def test_an_unknown_tool_is_a_protocol_error(server_url: str) -> None:
    async with mcp_client(server_url) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("no_such_assistant", {})
    assert raised.value.error.code == -32602


async def test_the_initialize_handshake_of_the_session_api(server_url: str) -> None:
    async with (
        streamable_http_client(f"{server_url}/mcp") as (read, write),
        ClientSession(read, write) as session,
    ):
        initialized = await session.initialize()
        assert initialized.server_info.name == "Steadygraph"
        assert initialized.capabilities.tools is not None
        result = await session.call_tool("hitl", {"request": "deploy"})
        # A graph stopped at interrupt() is not an error: its output says what it asks.
        assert not result.is_error
        interrupts = result.structured_content["__interrupt__"]
        assert interrupts[0]["value"]["question"] == "Do you approve this request?"


async def test_wire_format_of_the_streamable_http_transport(server_url: str) -> None:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        ping = await http.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "ping"}, headers=JSON_AND_SSE
        )
        assert ping.status_code == 200
        assert ping.json() == {"jsonrpc": "2.0", "id": 7, "result": {}}
        assert "mcp-session-id" not in ping.headers  # stateless

        unknown = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": "a", "method": "resources/list"},
            headers=JSON_AND_SSE,
        )
        assert unknown.json()["error"]["code"] == -32601

        notification = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        accepted = await http.post("/mcp", json=notification, headers=JSON_AND_SSE)
        assert accepted.status_code == 202 and accepted.content == b""

        garbled = await http.post("/mcp", content=b"{not json", headers=JSON_AND_SSE)
        assert garbled.status_code == 400
        assert garbled.json()["error"]["code"] == -32700

        no_version = await http.post("/mcp", json={"id": 1, "method": "ping"}, headers=JSON_AND_SSE)
        assert no_version.status_code == 400
        assert no_version.json()["error"]["code"] == -32600

        bad_arguments = await http.post(
            "/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "agent", "arguments": [1, 2]},
            },
            headers=JSON_AND_SSE,
        )
        assert bad_arguments.json()["error"]["code"] == -32602

        assert (await http.get("/mcp")).status_code == 405
        assert (await http.delete("/mcp")).status_code == 404


async def test_http_disable_flags_turn_mcp_and_a2a_off(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    config = json.loads(TEST_GRAPHS.read_text())
    config["graphs"] = {
        "agent": str(TEST_GRAPHS.parent.parent.parent / "examples" / "agent.py") + ":graph"
    }
    config["dependencies"] = [str(TEST_GRAPHS.parent)]
    config["http"] = {"disable_mcp": True, "disable_a2a": True}
    project = tmp_path / "langgraph.json"
    project.write_text(json.dumps(config))
    # Only the API: what it routes does not depend on a worker.
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", config=project)
    deployment.start_api()
    try:
        async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as http:
            ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
            assert (await http.post("/mcp", json=ping, headers=JSON_AND_SSE)).status_code == 404
            assert (await http.post("/a2a/agent", json=ping)).status_code == 404
            card = await http.get("/.well-known/agent-card.json", params={"assistant_id": "agent"})
            assert card.status_code == 404
            assert (await http.get("/ok")).status_code == 200
    finally:
        deployment.stop()
