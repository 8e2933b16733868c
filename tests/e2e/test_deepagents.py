"""A `deepagents` agent (scripted model) served by Steadygraph and streamed with
`stream_subgraphs=True` (run streams) and through `client.threads.stream` (thread
streams): its subagent's steps arrive under the subgraph's namespace."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from harness import ROOT, dedicated_deployment
from langgraph_sdk import get_client

from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.graph.loading import import_file

PROJECT = ROOT / "tests" / "projects" / "deepagent"
# Under a name unique to its path: the module is the project's, not ours.
_agent = import_file(PROJECT / "agent.py")
FINAL_ANSWER, QUESTION, SUB_ANSWER = _agent.FINAL_ANSWER, _agent.QUESTION, _agent.SUB_ANSWER


TIMEOUT = 120


@pytest.fixture(scope="module")
def deep_url(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with dedicated_deployment(
        temporal_server.address,
        database_url,
        tmp_path_factory.mktemp("deepagent"),
        PROJECT / "langgraph.json",
    ) as deployment:
        yield deployment.url


async def test_deep_agent_streams_its_subagent(deep_url: str) -> None:
    client = get_client(url=deep_url)
    thread = await client.threads.create()
    events = [
        (part.event, part.data)
        async for part in client.runs.stream(
            thread["thread_id"],
            "deep",
            input={"messages": [{"role": "user", "content": QUESTION}]},
            stream_mode=["updates", "values"],
            stream_subgraphs=True,
        )
    ]
    names = [event for event, _ in events]
    assert names[0] == "metadata"
    sub = [(e, d) for e, d in events if e.startswith("updates|tools:")]
    assert sub, names
    sub_messages = [
        message["content"]
        for _, data in sub
        for update in data.values()
        if isinstance(update, dict)
        for message in update.get("messages", [])
    ]
    assert SUB_ANSWER in sub_messages
    final = [d for e, d in events if e == "values"][-1]
    assert final["messages"][-1]["content"] == FINAL_ANSWER
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["messages"][-1]["content"] == FINAL_ANSWER
    tool_message = next(m for m in state["values"]["messages"] if m["type"] == "tool")
    assert tool_message["content"] == SUB_ANSWER


async def test_deep_agent_over_thread_streams(deep_url: str) -> None:
    client = get_client(url=deep_url)
    async with client.threads.stream(assistant_id="deep") as thread:
        await thread.run.start(input={"messages": [{"role": "user", "content": QUESTION}]})

        async def children() -> list[Any]:
            return [item async for _, item in thread.interleave_projections(["subgraphs"])]

        output = await asyncio.wait_for(thread.output, TIMEOUT)
        subgraphs = await asyncio.wait_for(children(), TIMEOUT)
    assert _content(output["messages"][-1]) == FINAL_ANSWER
    # The subagent ran as a subgraph of the `tools` node, and completed there.
    assert subgraphs, "no subgraph was streamed"
    assert any(child.namespace[0].startswith("tools:") for child in subgraphs), [
        child.namespace for child in subgraphs
    ]
    assert all(child.status == "completed" for child in subgraphs)
    state = await client.threads.get_state(thread.thread_id)
    assert state["values"]["messages"][-1]["content"] == FINAL_ANSWER


def _content(message: Any) -> Any:
    return message["content"] if isinstance(message, dict) else message.content
