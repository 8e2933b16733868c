"""The thread resource: CRUD, search, copy, prune, state history and updates."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import BadRequestError, NotFoundError
from tests_support import slow_input

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


async def test_new_thread_shape(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create(metadata={"k": "v"})
    assert set(thread) == {
        "thread_id",
        "created_at",
        "updated_at",
        "state_updated_at",
        "metadata",
        "status",
        "config",
        "values",
    }
    assert thread["values"] is None and thread["config"] == {} and thread["status"] == "idle"


async def test_update_merges_metadata_and_delete_removes_everything(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create(metadata={"a": 1})
    updated = await client.threads.update(thread["thread_id"], metadata={"b": 2})
    assert updated["metadata"] == {"a": 1, "b": 2}
    await client.runs.wait(thread["thread_id"], "agent", input=WEATHER)
    await client.threads.delete(thread["thread_id"])
    with pytest.raises(NotFoundError):
        await client.threads.get(thread["thread_id"])
    with pytest.raises(NotFoundError):
        await client.runs.list(thread["thread_id"])
    with pytest.raises(NotFoundError):
        await client.threads.delete(thread["thread_id"])


async def test_deleting_a_thread_with_an_active_run_stops_the_run(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    await client.runs.create(thread["thread_id"], "slow", input=slow_input(tmp_path / "m", 30))
    await asyncio.sleep(0.5)
    await client.threads.delete(thread["thread_id"])
    with pytest.raises(NotFoundError):
        await client.threads.get(thread["thread_id"])


async def test_search_and_count(server_url: str) -> None:
    client = get_client(url=server_url)
    tag = {"suite": "search", "n": 1}
    made = [await client.threads.create(metadata={**tag, "i": i}) for i in range(3)]
    found = await client.threads.search(metadata=tag, limit=10)
    assert {t["thread_id"] for t in found} == {t["thread_id"] for t in made}
    assert [t["thread_id"] for t in found] == [t["thread_id"] for t in reversed(made)]
    oldest_first = await client.threads.search(metadata=tag, sort_order="asc", limit=2, offset=1)
    assert [t["thread_id"] for t in oldest_first] == [made[1]["thread_id"], made[2]["thread_id"]]
    assert await client.threads.count(metadata=tag) == 3
    one = await client.threads.search(metadata={**tag, "i": 2}, select=["thread_id", "metadata"])
    assert one == [{"thread_id": made[2]["thread_id"], "metadata": {**tag, "i": 2}}]
    by_ids = await client.threads.search(ids=[made[0]["thread_id"]])
    assert [t["thread_id"] for t in by_ids] == [made[0]["thread_id"]]
    await client.runs.wait(made[0]["thread_id"], "agent", input=WEATHER)
    idle = await client.threads.search(metadata=tag, status="idle")
    assert len(idle) == 3
    with_values = await client.threads.search(metadata={**tag, "graph_id": "agent"})
    assert [t["thread_id"] for t in with_values] == [made[0]["thread_id"]]


async def test_metadata_and_values_filters_are_json_containment(server_url: str) -> None:
    """LangGraph Server filters with jsonb `@>`: nested objects match in part,
    arrays contain elements, and `true` is not `1`, on every backend."""
    client = get_client(url=server_url)
    suite = {"suite": uuid.uuid4().hex}
    ann = await client.threads.create(
        metadata={**suite, "owner": {"name": "ann", "team": "x"}, "tags": ["red", "blue"], "n": 1}
    )
    bob = await client.threads.create(
        metadata={**suite, "owner": {"name": "bob"}, "tags": ["blue"], "n": True}
    )
    solo = await client.threads.create(metadata={**suite, "tags": "red"})

    async def found(metadata: dict, **kwargs: object) -> set[str]:
        threads = await client.threads.search(metadata={**suite, **metadata}, **kwargs)
        count = await client.threads.count(metadata={**suite, **metadata}, **kwargs)
        assert count == len(threads)
        return {t["thread_id"] for t in threads}

    assert await found({"owner": {"name": "ann"}}) == {ann["thread_id"]}
    assert await found({"owner": {"name": "ann", "team": "y"}}) == set()
    assert await found({"tags": ["blue"]}) == {ann["thread_id"], bob["thread_id"]}
    assert await found({"tags": ["blue", "red"]}) == {ann["thread_id"]}
    assert await found({"tags": "red"}) == {solo["thread_id"]}
    assert await found({"n": 1}) == {ann["thread_id"]}
    assert await found({"n": True}) == {bob["thread_id"]}

    await client.runs.wait(ann["thread_id"], "agent", input=WEATHER)
    question = {"messages": [{"content": WEATHER["messages"][0]["content"]}]}
    assert await found({}, values=question) == {ann["thread_id"]}
    assert await found({}, values={"messages": [{"content": "no such message"}]}) == set()


async def test_history_newest_first_and_state_at_a_checkpoint(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "agent", input=WEATHER)
    history = await client.threads.get_history(thread["thread_id"])
    assert len(history) == 5  # input, then one checkpoint per super-step and the start
    steps = [h["metadata"]["step"] for h in history]
    assert steps == [3, 2, 1, 0, -1]
    assert [len(h["values"].get("messages", [])) for h in history] == [4, 3, 2, 1, 0]
    assert history[1]["next"] == ["agent"] and history[0]["next"] == []
    latest = await client.threads.get_state(thread["thread_id"])
    assert history[0] == latest
    older = await client.threads.get_state(
        thread["thread_id"], checkpoint_id=history[2]["checkpoint_id"]
    )
    assert older == history[2]
    limited = await client.threads.get_history(
        thread["thread_id"], limit=2, before={"checkpoint_id": history[1]["checkpoint_id"]}
    )
    assert limited == history[2:4]
    loops = await client.threads.get_history(thread["thread_id"], metadata={"source": "input"})
    assert [h["metadata"]["step"] for h in loops] == [-1]


async def test_update_state_then_a_run_continues_from_it(server_url: str, tmp_path: Path) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    with pytest.raises(BadRequestError, match="no assigned graph ID"):
        await client.threads.update_state(thread["thread_id"], {"visited": ["x"]})
    await client.runs.wait(
        thread["thread_id"], "slow", input=slow_input(tmp_path / "m", 0), interrupt_after=["step1"]
    )
    result = await client.threads.update_state(
        thread["thread_id"], {"visited": ["edited"]}, as_node="step1"
    )
    assert result["checkpoint"]["checkpoint_id"]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["visited"] == ["step1", "edited"]
    assert state["next"] == ["step2"]
    assert state["checkpoint"]["checkpoint_id"] == result["checkpoint"]["checkpoint_id"]
    final = await client.runs.wait(thread["thread_id"], "slow", input=None)
    assert final["visited"] == ["step1", "edited", "step2", "step3"]


async def test_create_with_supersteps_seeds_state(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create(
        metadata={"graph_id": "slow"},
        supersteps=[{"updates": [{"values": {"visited": ["seeded"]}, "as_node": "step2"}]}],
    )
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["visited"] == ["seeded"] and state["next"] == ["step3"]


async def test_copy_keeps_history(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create(metadata={"origin": "copy-test"})
    await client.runs.wait(thread["thread_id"], "agent", input=WEATHER)
    copied = await client.threads.copy(thread["thread_id"])
    assert copied["thread_id"] != thread["thread_id"]
    assert "values" not in copied
    assert copied["metadata"]["origin"] == "copy-test"
    original = await client.threads.get_history(thread["thread_id"])
    history = await client.threads.get_history(copied["thread_id"])
    assert [h["checkpoint_id"] for h in history] == [h["checkpoint_id"] for h in original]
    assert all(h["checkpoint"]["thread_id"] == copied["thread_id"] for h in history)
    # The copy is a thread of its own: a new run continues its conversation.
    result = await client.runs.wait(copied["thread_id"], "agent", input=WEATHER)
    assert len(result["messages"]) == 8
    assert len((await client.threads.get_state(thread["thread_id"]))["values"]["messages"]) == 4


async def test_prune_delete_and_keep_latest(server_url: str) -> None:
    client = get_client(url=server_url)
    doomed = await client.threads.create()
    kept = await client.threads.create()
    await client.runs.wait(kept["thread_id"], "agent", input=WEATHER)
    assert (await client.threads.prune([doomed["thread_id"]]))["pruned_count"] == 1
    with pytest.raises(NotFoundError):
        await client.threads.get(doomed["thread_id"])
    result = await client.threads.prune([kept["thread_id"]], strategy="keep_latest")
    assert result["pruned_count"] == 1
    history = await client.threads.get_history(kept["thread_id"])
    assert len(history) == 1 and len(history[0]["values"]["messages"]) == 4


async def test_thread_ttl_is_accepted_and_validated(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create(ttl={"strategy": "delete", "ttl": 60})
    assert (await client.threads.get(thread["thread_id"]))["thread_id"] == thread["thread_id"]
    async with httpx.AsyncClient(base_url=server_url) as http:
        response = await http.post("/threads", json={"ttl": {"ttl": -1}})
        assert response.status_code == 422
        response = await http.post("/threads/search", json={"status": "bogus"})
        assert response.status_code == 422
        response = await http.post("/threads/search", json={"limit": 0})
        assert response.status_code == 422


async def test_expired_threads_are_swept_by_the_ttl_schedule(
    server_url: str,
    deployment,
    temporal_server,  # type: ignore[no-untyped-def]
) -> None:
    from temporalio.client import Client

    from steadygraph.threads.ttl_schedule import sweep_schedule_id

    client = get_client(url=server_url)
    expiring = await client.threads.create(ttl={"strategy": "delete", "ttl": 0.001})
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


async def test_get_state_with_subgraphs_shows_the_subgraph_it_stopped_in(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    result = await client.runs.wait(thread["thread_id"], "nested_hitl", input={})
    assert result["__interrupt__"][0]["value"] == "what now?"
    plain = await client.threads.get_state(thread["thread_id"])
    assert plain["next"] == ["child"]
    assert plain["tasks"][0]["state"] is None
    assert plain["tasks"][0]["checkpoint"]["checkpoint_ns"].startswith("child:")
    nested = await client.threads.get_state(thread["thread_id"], subgraphs=True)
    inner = nested["tasks"][0]["state"]
    assert inner["next"] == ["ask"]
    assert inner["tasks"][0]["interrupts"][0]["value"] == "what now?"
    resumed = await client.runs.wait(thread["thread_id"], "nested_hitl", command={"resume": "go"})
    assert resumed == {"answer": "go"}
    assert (await client.threads.get_state(thread["thread_id"], subgraphs=True))["tasks"] == []
