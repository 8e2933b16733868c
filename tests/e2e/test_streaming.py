"""Streaming runs over SSE, as LangGraph Server streams them."""

from __future__ import annotations

import httpx
import pytest
from langgraph_sdk import get_client, get_sync_client

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


async def _stream(server_url: str, graph: str, run_input: dict, **kwargs) -> list:  # type: ignore[no-untyped-def]
    client = get_client(url=server_url)
    thread = await client.threads.create()
    return [
        part
        async for part in client.runs.stream(thread["thread_id"], graph, input=run_input, **kwargs)
    ]


@pytest.mark.parametrize(
    "mode, names",
    [
        ("values", ["metadata"] + ["values"] * 4),
        ("updates", ["metadata"] + ["updates"] * 3),
        ("messages-tuple", ["metadata"] + ["messages"] * 14),
        ("tasks", ["metadata"] + ["tasks"] * 6),
        ("checkpoints", ["metadata"] + ["checkpoints"] * 5),
    ],
)
async def test_stream_modes_match_an_uninterrupted_run(
    server_url: str, mode: str, names: list[str]
) -> None:
    parts = await _stream(server_url, "agent", WEATHER, stream_mode=mode)
    assert [p.event for p in parts] == names
    assert parts[0].data["attempt"] == 1 and parts[0].data["run_id"]


async def test_values_and_updates_payloads(server_url: str) -> None:
    parts = await _stream(server_url, "agent", WEATHER, stream_mode=["values", "updates"])
    values = [p.data for p in parts if p.event == "values"]
    updates = [p.data for p in parts if p.event == "updates"]
    assert values[0]["messages"][0]["content"] == "what's the weather in sf"
    assert [len(v["messages"]) for v in values] == [1, 2, 3, 4]
    assert [next(iter(u)) for u in updates] == ["agent", "tools", "agent"]
    assert updates[0]["agent"]["messages"][0]["tool_calls"][0]["name"] == "search"


async def test_messages_tuple_streams_token_chunks_with_metadata(server_url: str) -> None:
    parts = await _stream(server_url, "agent", WEATHER, stream_mode="messages-tuple")
    chunks = [p.data for p in parts if p.event == "messages"]
    message, metadata = chunks[0]
    assert message["type"] == "AIMessageChunk"
    assert metadata["langgraph_node"] == "agent"
    answer = "".join(
        c[0]["content"] for c in chunks if c[0]["type"] == "AIMessageChunk" and c[0]["content"]
    )
    assert answer.strip() == "The weather in San Francisco is 60 degrees and foggy."


async def test_debug_events_one_per_checkpoint_and_task(server_url: str) -> None:
    parts = await _stream(server_url, "agent", WEATHER, stream_mode="debug")
    kinds = [p.data["type"] for p in parts if p.event == "debug"]
    assert kinds.count("checkpoint") == 5
    assert kinds.count("task") == 3 and kinds.count("task_result") == 3


async def test_subgraphs_and_custom_events_are_namespaced(server_url: str) -> None:
    parts = await _stream(
        server_url, "nested", {}, stream_mode=["updates", "custom"], stream_subgraphs=True
    )
    events = [(p.event.split("|")[0], p.event.count("|")) for p in parts]
    assert ("custom", 0) in events and ("custom", 1) in events
    assert ("updates", 1) in events
    inner = [p for p in parts if p.event.startswith("custom|child:")]
    assert inner[0].data == {"progress": "inner ran"}


async def test_without_subgraphs_only_the_parent_streams(server_url: str) -> None:
    parts = await _stream(server_url, "nested", {}, stream_mode=["updates", "custom"])
    assert all("|" not in p.event for p in parts)
    assert {"progress": "before ran"} in [p.data for p in parts if p.event == "custom"]


async def test_failed_run_stream_ends_with_error_event(server_url: str) -> None:
    parts = await _stream(server_url, "flaky", {}, stream_mode="values")
    assert [p.event for p in parts] == ["metadata", "values", "error"]
    assert parts[-1].data == {"error": "FlakyError", "message": "flaky node failed on purpose"}


async def test_join_stream_replays_a_finished_run_and_resumes_after_last_event_id(
    server_url: str,
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    run = await client.runs.create(
        thread["thread_id"], "agent", input=WEATHER, stream_mode=["values", "updates"]
    )
    await client.runs.join(thread["thread_id"], run["run_id"])
    full = [p async for p in client.runs.join_stream(thread["thread_id"], run["run_id"])]
    assert [p.event for p in full][1:] == ["values", "updates"] * 3 + ["values"]
    # Resume from the 4th event: exactly the events after it, each once.
    async with httpx.AsyncClient(base_url=server_url) as http:
        response = await http.get(
            f"/threads/{thread['thread_id']}/runs/{run['run_id']}/stream",
            headers={"Last-Event-ID": "3"},
        )
    ids = [line[4:] for line in response.text.splitlines() if line.startswith("id: ")]
    assert ids == [str(i) for i in range(4, len(full))]
    # A mode filter on join_stream.
    only_updates = [
        p.event
        async for p in client.runs.join_stream(
            thread["thread_id"], run["run_id"], stream_mode="updates"
        )
    ]
    assert only_updates == ["metadata", "updates", "updates", "updates"]


async def test_stream_response_has_content_location(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    created: list[str] = []
    async for _ in client.runs.stream(
        thread["thread_id"],
        "agent",
        input=WEATHER,
        on_run_created=lambda meta: created.append(meta["run_id"]),
    ):
        pass
    runs = await client.runs.list(thread["thread_id"])
    assert created == [runs[0]["run_id"]]


async def test_stateless_stream_and_sync_client(server_url: str) -> None:
    client = get_sync_client(url=server_url)
    parts = list(client.runs.stream(None, "agent", input=WEATHER, stream_mode="values"))
    assert [p.event for p in parts] == ["metadata"] + ["values"] * 4
    assert parts[-1].data["messages"][-1]["content"].startswith("The weather in San Francisco")


async def test_remote_graph_invoke_and_stream(server_url: str) -> None:
    from langgraph.pregel.remote import RemoteGraph

    remote = RemoteGraph("agent", url=server_url)
    client = get_client(url=server_url)
    thread = await client.threads.create()
    config = {"configurable": {"thread_id": thread["thread_id"]}}
    result = await remote.ainvoke(WEATHER, config)
    assert result["messages"][-1]["content"].startswith("The weather in San Francisco")
    chunks = [c async for c in remote.astream(WEATHER, stream_mode="updates")]
    assert [next(iter(c)) for c in chunks] == ["agent", "tools", "agent"]


async def test_events_mode_streams_langchain_callback_events(server_url: str) -> None:
    parts = await _stream(server_url, "agent", WEATHER, stream_mode=["events", "updates"])
    events = [p.data for p in parts if p.event == "events"]
    kinds = {e["event"] for e in events}
    assert {"on_chain_start", "on_chain_end", "on_chat_model_stream", "on_tool_start"} <= kinds
    tool = next(e for e in events if e["event"] == "on_tool_end")
    assert "60 degrees" in str(tool["data"]["output"])
    # One run, one root chain: it starts first and ends last, once each.
    roots = [e for e in events if not e["parent_ids"]]
    assert [e["event"] for e in roots] == ["on_chain_start", "on_chain_end"]
    assert events[0] is roots[0] and events[-1] is roots[-1]
    assert roots[-1]["data"]["output"]["messages"][-1]["content"].startswith("The weather")
    assert [next(iter(p.data)) for p in parts if p.event == "updates"] == [
        "agent",
        "tools",
        "agent",
    ]


async def test_a_client_that_disconnects_does_not_disturb_the_run(
    server_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    client = get_client(url=server_url)
    thread = await client.threads.create()
    created: list[dict] = []
    stream = client.runs.stream(
        thread["thread_id"],
        "slow",
        input={"marker_file": str(tmp_path / "m"), "sleep_s": 1},
        on_run_created=created.append,
    )
    async for part in stream:
        if part.event == "values":
            break  # the client goes away mid-run
    await stream.aclose()
    run_id = created[0]["run_id"]
    await client.runs.join(thread["thread_id"], run_id)
    assert (await client.runs.get(thread["thread_id"], run_id))["status"] == "success"


async def test_on_disconnect_cancel_interrupts_the_run(server_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = get_client(url=server_url)
    thread = await client.threads.create()
    created: list[dict] = []
    stream = client.runs.stream(
        thread["thread_id"],
        "slow",
        input={"marker_file": str(tmp_path / "m"), "sleep_s": 30},
        on_disconnect="cancel",
        on_run_created=created.append,
    )
    async for part in stream:
        if part.event == "values":
            break
    await stream.aclose()
    run_id = created[0]["run_id"]
    await client.runs.join(thread["thread_id"], run_id)
    assert (await client.runs.get(thread["thread_id"], run_id))["status"] == "interrupted"
