"""LangGraph's `RemoteGraph` streams with `stream_events(version="v3")` over
thread streams: a deployed graph used like a local one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from langgraph.pregel.remote import RemoteGraph
from langgraph.types import Command
from langgraph_sdk import get_client

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
SF_ANSWER = "The weather in San Francisco is 60 degrees and foggy."
TIMEOUT = 60


async def test_async_remote_graph_streams_values_and_output(server_url: str) -> None:
    remote = RemoteGraph("agent", url=server_url)
    async with await remote.astream_events(WEATHER, version="v3") as run:
        snapshots = [snapshot async for snapshot in run.values]
        output = await asyncio.wait_for(run.output(), TIMEOUT)
    assert output["messages"][-1]["content"] == SF_ANSWER
    assert snapshots[-1] == output


def test_sync_remote_graph_interleaves_messages_and_tool_calls(server_url: str) -> None:
    remote = RemoteGraph("agent", url=server_url)
    with remote.stream_events(WEATHER, version="v3") as run:
        items = list(run.interleave("messages", "tool_calls"))
        output = run.output
    assert [str(item.text) for kind, item in items if kind == "messages"] == ["", SF_ANSWER]
    [tool_call] = [item for kind, item in items if kind == "tool_calls"]
    assert tool_call.name == "search" and "60 degrees" in tool_call.output["content"]
    assert output["messages"][-1]["content"] == SF_ANSWER


async def test_remote_graph_interrupt_and_resume_with_a_command(server_url: str) -> None:
    remote = RemoteGraph("hitl", url=server_url)
    async with await remote.astream_events({"request": "deploy"}, version="v3") as run:
        async for _ in run.values:
            pass  # ends when the run stops at its interrupt
        assert await run.interrupted()
        [interrupt] = await run.interrupts()
        thread_id = run._sdk.thread_id
    assert interrupt["value"]["request"] == "deploy"
    config = {"configurable": {"thread_id": thread_id}}
    async with await remote.astream_events(Command(resume="yes"), config, version="v3") as run:
        output = await asyncio.wait_for(run.output(), TIMEOUT)
    assert output["result"] == "done" and output["answer"] == "yes"


async def test_remote_graph_abort_cancels_the_server_run(server_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "marks.txt"
    remote = RemoteGraph("slow", url=server_url)
    run: Any
    async with await remote.astream_events(
        {"marker_file": str(marker), "sleep_s": 30}, version="v3"
    ) as run:
        thread_id, run_id = run._sdk.thread_id, run._run_id
        for _ in range(TIMEOUT * 20):
            if _marked(marker, "step2:start"):
                break
            await asyncio.sleep(0.05)
        await run.abort()
    client = get_client(url=server_url)
    await asyncio.wait_for(client.runs.join(thread_id, run_id), TIMEOUT)
    assert (await client.runs.get(thread_id, run_id))["status"] == "interrupted"
    assert not _marked(marker, "step2:end")


def _marked(marker: Path, mark: str) -> bool:
    return marker.exists() and mark in marker.read_text()
