"""Thread streams (LangGraph's v3 protocol, `client.threads.stream`) through
the real `langgraph_sdk`: commands, events over SSE and over a WebSocket,
async and sync clients, against real servers."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client, get_sync_client

from steadygraph.thread_streams.source import JUST_ENDED_S

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
SF_ANSWER = "The weather in San Francisco is 60 degrees and foggy."
TIMEOUT = 60


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


async def _until(predicate: Callable[[], bool], what: str) -> None:
    for _ in range(TIMEOUT * 20):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _until_run_ends(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """A raw event stream (it never ends by itself) up to the run's end."""
    seen = []
    async for event in events:
        if event.get("type") != "event":
            continue  # the WebSocket also carries command responses
        seen.append(event)
        data = event["params"]["data"]
        if event["method"] == "lifecycle" and not event["params"]["namespace"]:
            if data["event"] in ("completed", "failed"):
                return seen
    return seen


async def _message_text(stream: Any) -> tuple[list[str], str]:
    deltas = [delta async for delta in stream.text]
    return deltas, (await stream.output).text


async def _interleaved(thread: Any, channels: list[str]) -> list[tuple[str, Any]]:
    """One subscription for several projections. Messages are read in tasks
    of their own: their tokens arrive only while the subscription is read."""
    items: list[tuple[str, Any]] = []
    async for kind, item in thread.interleave_projections(channels):
        if kind == "messages":
            item = asyncio.create_task(_message_text(item))
        items.append((kind, item))
    return [(kind, await item if kind == "messages" else item) for kind, item in items]


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_run_start_streams_values_messages_tool_calls_and_output(
    server_url: str, transport: str
) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="agent", transport=transport) as thread:
        started = await thread.run.start(input=WEATHER)
        raw = asyncio.create_task(_until_run_ends(thread.events))
        projections = asyncio.create_task(
            _interleaved(thread, ["values", "messages", "tool_calls"])
        )
        output = await asyncio.wait_for(thread.output, TIMEOUT)
        events, items = await asyncio.wait_for(asyncio.gather(raw, projections), TIMEOUT)

    assert output["messages"][-1]["content"] == SF_ANSWER
    run = await client.runs.get(thread.thread_id, started["run_id"])
    assert run["status"] == "success"
    lifecycle = [
        (e["params"]["namespace"], e["params"]["data"]["event"])
        for e in events
        if e["method"] == "lifecycle"
    ]
    assert lifecycle == [([], "running"), ([], "completed")]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)) and len({e["event_id"] for e in events}) == len(events)
    assert {e["method"] for e in events} >= {"values", "updates", "messages", "tools", "tasks"}

    snapshots = [item for kind, item in items if kind == "values"]
    assert snapshots[-1] == output
    assert [len(s["messages"]) for s in snapshots] == [1, 2, 3, 4]
    # Two AI messages: the tool call (no text), then the answer token by token.
    texts = [item for kind, item in items if kind == "messages"]
    assert [text for _, text in texts] == ["", SF_ANSWER]
    answer_deltas = texts[1][0]
    assert len(answer_deltas) > 5 and "".join(answer_deltas) == SF_ANSWER
    [tool_call] = [item for kind, item in items if kind == "tool_calls"]
    assert (tool_call.name, tool_call.input) == ("search", {"query": "weather in sf"})
    assert "60 degrees" in (await tool_call.output)["content"]


async def test_each_projection_on_its_own(server_url: str) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="agent") as thread:
        await thread.run.start(input=WEATHER)
        snapshots = [snapshot async for snapshot in thread.values]
        assert snapshots[-1]["messages"][-1]["content"] == SF_ANSWER
    async with client.threads.stream(assistant_id="agent") as thread:
        await thread.run.start(input=WEATHER)
        # Ends with the run; by then every message stream is complete.
        streams = [stream async for stream in thread.messages]
        texts = [await stream.output for stream in streams]
        assert [m.text for m in texts] == ["", SF_ANSWER]
        assert texts[0].tool_calls[0]["name"] == "search"
    async with client.threads.stream(assistant_id="agent") as thread:
        await thread.run.start(input=WEATHER)
        handles = [handle async for handle in thread.tool_calls]
        calls = [(h.name, await h.output) for h in handles]
        assert [name for name, _ in calls] == ["search"]
        assert (await thread.output)["messages"][-1]["content"] == SF_ANSWER


@pytest.mark.parametrize("transport", ["sse", "websocket"])
def test_sync_client_streams_a_run(server_url: str, transport: str) -> None:
    client = get_sync_client(url=server_url)
    with client.threads.stream(assistant_id="agent", transport=transport) as thread:
        thread.run.start(input=WEATHER)
        items = list(thread.interleave_projections(["values", "messages", "tool_calls"]))
        output = thread.output
    kinds = [kind for kind, _ in items]
    assert {"values", "messages", "tool_calls"} <= set(kinds)
    streams = [item for kind, item in items if kind == "messages"]
    assert [str(stream.text) for stream in streams] == ["", SF_ANSWER]
    [tool_call] = [item for kind, item in items if kind == "tool_calls"]
    assert tool_call.name == "search" and "60 degrees" in tool_call.output["content"]
    assert [item for kind, item in items if kind == "values"][-1] == output
    assert output["messages"][-1]["content"] == SF_ANSWER


async def test_interrupt_then_respond_resumes_the_run(server_url: str) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="hitl") as thread:
        await thread.run.start(input={"request": "deploy"})
        await _until(lambda: thread.interrupted, "the interrupt")
        [interrupt] = thread.interrupts
        assert interrupt["namespace"] == []
        assert interrupt["value"] == {
            "question": "Do you approve this request?",
            "request": "deploy",
        }
        await thread.run.respond("yes")
        output = await asyncio.wait_for(thread.output, TIMEOUT)
    assert output["answer"] == "yes" and output["result"] == "done"
    runs = await client.runs.list(thread.thread_id)
    assert sorted(r["status"] for r in runs) == ["success", "success"]


async def test_interrupt_inside_a_subgraph_is_answered_there(server_url: str) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="nested_hitl") as thread:
        await thread.run.start(input={})
        await _until(lambda: thread.interrupted, "the interrupt")
        [interrupt] = thread.interrupts
        assert interrupt["value"] == "what now?"
        assert [s.split(":")[0] for s in interrupt["namespace"]] == ["child"]
        await thread.run.respond("carry on")
        assert (await asyncio.wait_for(thread.output, TIMEOUT)) == {"answer": "carry on"}


async def test_subgraphs_scope_their_events_and_extensions_carry_writer_payloads(
    server_url: str,
) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="subagents") as thread:
        await thread.run.start(input={"topic": "fog"})

        async def read() -> tuple[list[Any], list[Any]]:
            progress, children = [], []
            async for kind, item in thread.interleave_projections(["subgraphs", "progress"]):
                if kind == "progress":
                    progress.append(item["payload"])
                else:
                    messages = asyncio.create_task(
                        _collect(_texts(item.messages))  # the child's own messages
                    )
                    children.append((item, messages))
            return progress, children

        output = await asyncio.wait_for(thread.output, TIMEOUT)
        progress, children = await asyncio.wait_for(read(), TIMEOUT)
    assert output == {"topic": "fog", "notes": ["plan: fog"], "finding": "fog rolls in at dusk"}
    assert progress == [{"stage": "plan"}, {"stage": "research"}]
    [(child, messages)] = children
    assert child.graph_name == "researcher" and child.namespace[0].startswith("researcher:")
    assert child.status == "completed"
    assert await asyncio.wait_for(messages, TIMEOUT) == ["fog rolls in at dusk"]


async def _texts(streams: AsyncIterator[Any]) -> AsyncIterator[str]:
    # A message completes only while the projection goes on reading.
    for stream in [stream async for stream in streams]:
        yield (await stream.output).text


async def _sse(
    server_url: str, thread_id: str, body: dict[str, Any], count: int | None = None
) -> list[dict[str, Any]]:
    """A thread's events over plain SSE: `count` of them, or up to the end of
    the run they follow."""
    async with httpx.AsyncClient(base_url=server_url, timeout=TIMEOUT) as http:
        async with http.stream("POST", f"/threads/{thread_id}/stream/events", json=body) as r:
            r.raise_for_status()

            async def events() -> AsyncIterator[dict[str, Any]]:
                async for line in r.aiter_lines():
                    if line.startswith("data: "):
                        yield json.loads(line[6:])

            if count is None:
                return await _until_run_ends(events())
            seen: list[dict[str, Any]] = []
            async for event in events():
                seen.append(event)
                if len(seen) == count:
                    break
            return seen


async def test_subgraph_lifecycle_and_namespace_filters(server_url: str) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="subagents") as thread:
        await thread.run.start(input={"topic": "fog"})
        await asyncio.wait_for(thread.output, TIMEOUT)
    # Read back afterwards: `since` 0 replays the thread from its first run.
    events = await _sse(server_url, thread.thread_id, {"channels": ["lifecycle"], "since": 0})
    lifecycle = [(e["params"]["namespace"], e["params"]["data"]["event"]) for e in events]
    child = lifecycle[1][0]
    assert lifecycle == [
        ([], "running"),
        (child, "started"),
        (child, "completed"),
        ([], "completed"),
    ]
    assert events[1]["params"]["data"]["graph_name"] == "researcher"
    scoped = await _sse(
        server_url,
        thread.thread_id,
        {"channels": ["custom", "lifecycle"], "namespaces": [["researcher"]], "since": 0},
        count=3,
    )
    assert [e["method"] for e in scoped] == ["lifecycle", "custom", "lifecycle"]
    assert scoped[1]["params"]["data"] == {"name": "progress", "payload": {"stage": "research"}}
    root_only = await _sse(
        server_url,
        thread.thread_id,
        {"channels": ["custom", "lifecycle"], "namespaces": [[]], "depth": 0, "since": 0},
    )
    assert [e["params"]["namespace"] for e in root_only] == [[], [], []]


async def test_abort_cancels_the_run(server_url: str, tmp_path: Any) -> None:
    client = get_client(url=server_url)
    marker = tmp_path / "marks.txt"
    slow = {"marker_file": str(marker), "sleep_s": 30}
    async with client.threads.stream(assistant_id="slow") as thread:
        started = await thread.run.start(input=slow)
        await _until(
            lambda: "step2:start" in (marker.read_text() if marker.exists() else ""), "step2"
        )
        # `run.abort` is Steadygraph's command (the SDK has no method for it).
        aborted = await thread._send_command("run.abort", {})
        assert aborted == {"run_ids": [started["run_id"]]}
        with pytest.raises(RuntimeError, match="cancelled"):
            await asyncio.wait_for(thread.output, TIMEOUT)
    run = await client.runs.get(thread.thread_id, started["run_id"])
    assert run["status"] == "interrupted"
    assert "step2:end" not in marker.read_text()


async def test_commands_and_filters_are_checked(server_url: str) -> None:
    thread_id = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=server_url, timeout=10) as http:
        bad = await http.post(f"/threads/{thread_id}/commands", json={"method": "run.start"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_argument"
        unknown = await http.post(
            f"/threads/{thread_id}/commands", json={"id": 1, "method": "state.fork"}
        )
        assert unknown.json() == {
            "type": "error",
            "id": 1,
            "error": "unknown_command",
            "message": "Unknown protocol command: state.fork",
        }
        no_assistant = await http.post(
            f"/threads/{thread_id}/commands",
            json={"id": 2, "method": "run.start", "params": {"assistant_id": "nope"}},
        )
        assert no_assistant.json()["type"] == "error"
        channels = await http.post(f"/threads/{thread_id}/stream/events", json={"channels": ["x"]})
        assert channels.status_code == 400 and "unsupported" in channels.json()["detail"]


async def test_join_stream_follows_the_threads_runs(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    thread_id = thread["thread_id"]
    parts: list[Any] = []

    async def join() -> None:
        async for part in await client.threads.join_stream(thread_id):
            parts.append(part)
            if part.event == "metadata" and part.data.get("status") == "run_done":
                return

    joined = asyncio.create_task(join())
    await asyncio.sleep(0.5)  # joined before the run exists: it waits for it
    run = await client.runs.create(thread_id, "agent", input=WEATHER, stream_mode="values")
    await asyncio.wait_for(joined, TIMEOUT)
    assert parts[0].event == "metadata" and parts[0].data["run_id"] == run["run_id"]
    assert [p.event for p in parts[1:-1]] == ["values"] * 4
    assert parts[-1].data == {"status": "run_done", "run_id": run["run_id"]}
    # Resumes after an event id: the rest only.
    resumed = []
    async for part in await client.threads.join_stream(thread_id, last_event_id=parts[2].id):
        resumed.append(part)
        if part.event == "metadata" and part.data.get("status") == "run_done":
            break
    assert [p.id for p in resumed] == [p.id for p in parts[3:]]


async def test_a_failed_run_ends_with_its_error(server_url: str) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="hitl") as thread:
        await thread.run.start(input="not a state")  # the graph's state is a dict
        raw = asyncio.create_task(_until_run_ends(thread.events))
        with pytest.raises(RuntimeError, match="Run errored"):
            await asyncio.wait_for(thread.output, TIMEOUT)
        events = await asyncio.wait_for(raw, TIMEOUT)
    final = events[-1]["params"]["data"]
    assert final["event"] == "failed"
    run = (await client.runs.list(thread.thread_id))[0]
    assert run["status"] == "error"
    assert final["error"] and final["error"] != "Run failed"


async def test_a_new_session_on_an_interrupted_thread_sees_and_answers_it(
    server_url: str,
) -> None:
    client = get_client(url=server_url)
    async with client.threads.stream(assistant_id="hitl") as thread:
        await thread.run.start(input={"request": "deploy"})
        await _until(lambda: thread.interrupted, "the interrupt")
    async with client.threads.stream(thread.thread_id, assistant_id="hitl") as again:
        await _until(lambda: again.interrupted, "the interrupt, seen again")
        assert again.interrupts[0]["interrupt_id"] == thread.interrupts[0]["interrupt_id"]
        await again.run.respond("no")
        output = await asyncio.wait_for(again.output, TIMEOUT)
    assert output["result"] == "refused"


async def test_a_stream_opened_just_after_a_run_ended_still_shows_it_ending(
    server_url: str,
) -> None:
    """The SDK opens its lifecycle stream (no `since`) only once `run.start`
    has returned; a run that failed at once has ended by then. Streams opened
    later than JUST_ENDED_S wait for the thread's next run instead."""
    client = get_client(url=server_url)
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(thread_id, "hitl", input="not a state")
    await client.runs.join(thread_id, run["run_id"])
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "error"

    events = await _sse(server_url, thread_id, {"channels": ["lifecycle"]})
    assert events[-1]["params"]["data"]["event"] == "failed"
    assert {e["params"]["data"].get("run_id", run["run_id"]) for e in events} == {run["run_id"]}

    await asyncio.sleep(JUST_ENDED_S)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_sse(server_url, thread_id, {"channels": ["lifecycle"]}, 1), 1.0)
